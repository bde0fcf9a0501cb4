"""Running the bot: after a customer's message is committed, in a transaction of its own.

The customer's message is stored first (the request's transaction); only
then does the bot take its turn, so a bot failure never loses a message. A
turn that crashes is rolled back and the conversation handed to humans in a
fresh transaction, so the customer is never left talking to a broken bot.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import select
from sqlalchemy.orm import Session

from yiwen.bot.dialogue import carry_out, make_turn, take_turn
from yiwen.bot.followups import check_followup
from yiwen.bot.llm.service import assistant
from yiwen.bot.models import BotFollowup
from yiwen.bot.nlu import understand
from yiwen.bot.nlu.types import Understanding
from yiwen.bot.rephrasing import HELD_REPLIES, HeldReply, post_held_replies
from yiwen.bot.turn import handoff
from yiwen.conversations.models import Conversation, Message
from yiwen.conversations.pipeline import running_in_pipeline, status_in_pipeline
from yiwen.core.clock import Clock
from yiwen.core.db import Database, session_context
from yiwen.core.events import DomainEvent, bus
from yiwen.core.settings import Settings
from yiwen.store.protocol import StoreConnector, StoreUnavailable

BOT_SHARDS = 4

log = logging.getLogger("yiwen.bot")
NEUTRAL = Understanding("out_of_scope", 0.0)


def handle_customer_message(
    db: Session,
    clock: Clock,
    settings: Settings,
    store: StoreConnector,
    conversation_id: str,
    message_id: int,
) -> bool:
    """Take the bot's turn for one stored customer message; False when it is not the bot's.

    A message already answered (a replay, a second delivery of the event) is
    skipped, so a message never gets two turns.
    """
    conversation = db.get(Conversation, conversation_id)
    message = db.get(Message, message_id)
    if conversation is None or message is None or conversation.status != "bot":
        return False
    if message.sender_type != "customer" or message.conversation_id != conversation.id:
        return False
    understanding = understand(
        message.body,
        clock.now(),
        order_patterns=store.order_no_patterns,
        ticket_prefix=settings.ticket_number_prefix,
    )
    turn = make_turn(db, clock, settings, store, conversation, understanding, message.body)
    if message.id <= turn.session.last_message_id:
        return False
    turn.session.last_message_id = message.id
    try:
        with db.begin_nested():
            take_turn(turn)
    except StoreUnavailable:
        log.warning("shop unavailable during the bot's turn in %s", conversation_id)
        carry_out(turn, handoff("store_unavailable"))
    return True


def hand_off_after_failure(
    db: Session, clock: Clock, settings: Settings, store: StoreConnector, conversation_id: str
) -> None:
    conversation = db.get(Conversation, conversation_id)
    if conversation is None or conversation.status != "bot":
        return
    turn = make_turn(db, clock, settings, store, conversation, NEUTRAL, "")
    carry_out(turn, handoff("bot_error"))


class BotRunner:
    """Listens for committed customer messages and runs the bot's turn for each."""

    def __init__(
        self,
        database: Database,
        clock: Clock,
        settings: Settings,
        store: Callable[[], StoreConnector],
    ) -> None:
        self.database = database
        self.clock = clock
        self.settings = settings
        self.store = store
        # Off unless an LLM is configured: then answers are reworded (yiwen.bot.rephrasing).
        self.assistant = assistant(settings)
        # Turns for messages from the message pipeline run here, not on the pipeline's
        # thread: a slow shop must not hold up other conversations' SLA clocks and
        # realtime events. One thread per shard keeps each conversation's turns in order.
        self._shards: list[ThreadPoolExecutor] = []

    def attach(self) -> None:
        bus.subscribe("message.created", self.on_message)

    def detach(self) -> None:
        bus.unsubscribe("message.created", self.on_message)
        shards, self._shards = self._shards, []
        for shard in shards:
            shard.shutdown(wait=True)

    def wait_idle(self) -> None:
        """Return once every turn handed to the shards so far has been taken."""
        for shard in list(self._shards):
            shard.submit(lambda: None).result()

    def _shard(self, conversation_id: str) -> ThreadPoolExecutor:
        if not self._shards:
            self._shards = [
                ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"yiwen-bot-{n}")
                for n in range(BOT_SHARDS)
            ]
        return self._shards[zlib.crc32(conversation_id.encode()) % len(self._shards)]

    def on_message(self, event: DomainEvent) -> None:
        message = event.payload.get("message")
        if not isinstance(message, dict) or message.get("sender_type") != "customer":
            return
        if not self.settings.bot_enabled:
            return
        conversation_id, message_id = message.get("conversation_id"), message.get("id")
        if not (isinstance(conversation_id, str) and isinstance(message_id, int)):
            return
        if running_in_pipeline():
            known = status_in_pipeline(conversation_id)
            if known is not None and known != "bot":
                return  # most messages: a human has the conversation
            self._shard(conversation_id).submit(self._run_turn_logged, conversation_id, message_id)
        else:
            self.run_turn(conversation_id, message_id)

    def _run_turn_logged(self, conversation_id: str, message_id: int) -> None:
        try:
            self.run_turn(conversation_id, message_id)
        except Exception:  # a turn that cannot even hand off must not kill its shard
            log.exception("bot turn for message %s failed", message_id)

    def bot_is_answering(self, conversation_id: str) -> bool:
        """Whether the conversation is the bot's, read without taking the write lock.

        Most customer messages arrive in conversations a human already handles;
        they must not each open a write transaction only to find that out.
        """
        with self.database.reading() as db:
            query = select(Conversation.status).where(Conversation.id == conversation_id)
            status = db.scalar(query)
        return status == "bot"

    def run_turn(self, conversation_id: str, message_id: int) -> None:
        if not self.bot_is_answering(conversation_id):
            return
        held: list[HeldReply] | None = [] if self.assistant.enabled else None
        customer_message = ""
        try:
            with self.database.transaction() as db:
                if held is not None:
                    db.info[HELD_REPLIES] = held
                    message = db.get(Message, message_id)
                    customer_message = message.body if message is not None else ""
                handle_customer_message(
                    db, self.clock, self.settings, self.store(), conversation_id, message_id
                )
        except Exception:
            log.exception("bot turn failed in conversation %s; handing off", conversation_id)
            with self.database.transaction() as db:
                hand_off_after_failure(db, self.clock, self.settings, self.store(), conversation_id)
            return
        if held:
            post_held_replies(
                self.database,
                self.clock,
                self.settings,
                self.assistant,
                conversation_id,
                held,
                customer_message,
            )


def run_due_followups(db: Session, clock: Clock, store: StoreConnector, limit: int = 100) -> int:
    """The worker's periodic job: check re-pushes that are due; returns how many were checked.

    A conversation a human has taken over meanwhile keeps the follow-up's
    result on the row but gets no bot message.
    """
    settings = session_context(db, "settings")
    assert isinstance(settings, Settings)
    due = list(
        db.scalars(
            select(BotFollowup)
            .where(BotFollowup.done_at.is_(None), BotFollowup.due_at <= clock.now())
            .order_by(BotFollowup.due_at)
            .limit(limit)
        )
    )
    for row in due:
        conversation = db.get_one(Conversation, row.conversation_id)
        turn = make_turn(db, clock, settings, store, conversation, NEUTRAL, "")
        news = check_followup(turn, row)
        if news is not None and conversation.status == "bot":
            carry_out(turn, news)
    return len(due)
