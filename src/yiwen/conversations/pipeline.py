"""The message pipeline: reactions to customer messages taken in by the fast path.

A customer message posted through the public API is stored with
``reactions_pending`` and acknowledged at once (issue 9: ingest must keep up with a
promotion's burst). Here, a moment later and many messages per transaction, each
pending message gets exactly what an inline message gets in its own transaction:
its conversation's preview, unread count and status are updated and
``message.created`` is emitted, so the SLA clocks, routing, search index,
notification rules and the bot's reactions run, and after the commit the realtime
hub and the bot see the event.

Guarantees:

- exactly once: a message's mark is cleared in the transaction that runs its
  reactions, so a crash before the commit leaves it pending and a later pass
  (this process's, another's, or the worker's sweep) runs it again in full;
- in order per conversation: a pass locks the conversations it works on (on
  PostgreSQL ``FOR UPDATE SKIP LOCKED``: another process's pass takes other
  conversations) and runs each one's pending messages oldest first;
- a message whose reactions keep failing is retried on every pass up to
  ``MAX_ATTEMPTS`` and then left for an operator (logged, counted on the row),
  never blocking the messages after it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session

from yiwen.conversations.models import Conversation, Message
from yiwen.conversations.service import customer_wrote, message_payload
from yiwen.core.clock import Clock
from yiwen.core.db import Database
from yiwen.core.events import DomainEvent, emit_event
from yiwen.store.protocol import StoreConnector
from yiwen.worker.jobs import own_transactions

log = logging.getLogger("yiwen.pipeline")

BATCH = 200
MAX_ATTEMPTS = 5
# How long a process waits for a signal before looking for pending messages anyway
# (messages another process stored, or whose pass failed).
IDLE_POLL_SECONDS = 1.0

_local = threading.local()

Prefetch = Callable[[Session, list[str]], None]
# Features add a function that loads, in one query, what their ``message.created``
# reactions will read for these conversations (yiwen.wiring installs them).
PREFETCHERS: list[Prefetch] = []


def add_prefetch(prefetch: Prefetch) -> None:
    if prefetch not in PREFETCHERS:
        PREFETCHERS.append(prefetch)


def status_in_pipeline(conversation_id: str) -> str | None:
    """The conversation's status as the pass under way committed it, if this pass ran it:
    post-commit listeners need not read it again."""
    statuses: dict[str, str] | None = getattr(_local, "statuses", None)
    return statuses.get(conversation_id) if statuses else None


def running_in_pipeline() -> bool:
    """Whether the caller runs inside a pipeline pass (listeners that would block the
    pass, such as the bot's turn, hand their work to their own threads then)."""
    return bool(getattr(_local, "active", False))


_Query = TypeVar("_Query", bound=Select[*tuple[Any, ...]])


def _due(query: _Query, limit: int, older_than: timedelta | None, clock: Clock) -> _Query:
    """The oldest ``limit`` messages still waiting (and not set aside), optionally only
    those older than ``older_than``."""
    query = (
        query.where(Message.reactions_pending.is_(True), Message.reactions_attempts < MAX_ATTEMPTS)
        .order_by(Message.id)
        .limit(limit)
    )
    if older_than is not None:
        query = query.where(Message.created_at <= clock.now() - older_than)
    return query


def _pending_conversations(
    db: Session, limit: int, older_than: timedelta | None, clock: Clock
) -> list[str]:
    query = _due(select(Message.conversation_id, Message.id), limit, older_than, clock)
    seen: dict[str, None] = {}
    for conversation_id, _ in db.execute(query):
        seen.setdefault(conversation_id, None)
    return list(seen)


def _lock(db: Session, conversation_ids: list[str]) -> list[Conversation]:
    """The conversations of ``conversation_ids`` this pass may work on, locked and read in
    the same statement (what the reactions look up by primary key is then already in the
    session).

    ``FOR NO KEY UPDATE``: a new message's foreign key takes a key-share lock on its
    conversation, which a plain ``FOR UPDATE`` would make wait for the whole pass.
    """
    query = select(Conversation).where(Conversation.id.in_(conversation_ids))
    if db.get_bind().dialect.name == "postgresql":
        query = query.order_by(Conversation.id).with_for_update(skip_locked=True, key_share=True)
    return list(db.scalars(query))


def _react(db: Session, message: Message, conversation: Conversation) -> None:
    message.reactions_pending = False
    customer_wrote(conversation, message)
    payload: dict[str, object] = {
        "message": message_payload(message),
        "customer_id": conversation.customer_id,
    }
    # The process that stored the message showed it to realtime clients at once.
    emit_event(db, DomainEvent("message.created", payload, announced=True))


def run_pending(
    database: Database,
    clock: Clock,
    *,
    limit: int = BATCH,
    older_than: timedelta | None = None,
) -> int:
    """One pass: run the reactions of up to ``limit`` pending messages; returns how many.

    ``older_than`` leaves recent messages to the pipelines of the processes that
    took them in (the worker's sweep uses it).
    """
    _local.active = True
    try:
        try:
            with database.transaction() as db:
                done = _run_batch(db, clock, limit, older_than)
            return done
        except Exception:
            log.exception("message pipeline batch failed; running its messages one by one")
        return _run_one_by_one(database, clock, limit, older_than)
    finally:
        _local.active = False
        _local.statuses = None


def _run_batch(db: Session, clock: Clock, limit: int, older_than: timedelta | None) -> int:
    candidates = _pending_conversations(db, limit, older_than, clock)
    if not candidates:
        return 0
    conversations = _lock(db, candidates)
    if not conversations:
        return 0
    locked = [conversation.id for conversation in conversations]
    messages = list(
        db.scalars(
            select(Message)
            .where(
                Message.conversation_id.in_(locked),
                Message.reactions_pending.is_(True),
                Message.reactions_attempts < MAX_ATTEMPTS,
            )
            .order_by(Message.id)
        )
    )
    by_id = {conversation.id: conversation for conversation in conversations}
    for prefetch in PREFETCHERS:
        prefetch(db, locked)
    for message in messages:
        _react(db, message, by_id[message.conversation_id])
    db.flush()
    _local.statuses = {conversation.id: conversation.status for conversation in conversations}
    return len(messages)


def _run_one_by_one(
    database: Database, clock: Clock, limit: int, older_than: timedelta | None
) -> int:
    """After a failed batch: each message in its own transaction, so one bad message
    costs only its own reactions (and an attempt), not its neighbours'."""
    with database.reading() as db:
        ids = list(db.scalars(_due(select(Message.id), limit, older_than, clock)))
    done = 0
    failed_conversations: set[str] = set()
    for message_id in ids:
        conversation_id = ""
        try:
            with database.transaction() as db:
                message = db.get(Message, message_id)
                if message is None or not message.reactions_pending:
                    continue
                conversation_id = message.conversation_id
                if conversation_id in failed_conversations:
                    continue  # keep the conversation's order: its later messages wait
                locked = _lock(db, [conversation_id])
                if not locked:
                    continue
                _react(db, message, locked[0])
            done += 1
        except Exception:
            log.exception("reactions of message %s failed", message_id)
            failed_conversations.add(conversation_id)
            with database.transaction() as db:
                db.execute(
                    update(Message)
                    .where(Message.id == message_id)
                    .values(reactions_attempts=Message.reactions_attempts + 1)
                )
    return done


@own_transactions
def sweep_pending(database: Database, clock: Clock, store: StoreConnector | None = None) -> int:
    """The worker's job: messages whose process did not get to them (it stopped, or its
    pass failed) get their reactions here, a few seconds late rather than never."""
    total = 0
    while True:
        done = run_pending(database, clock, older_than=timedelta(seconds=5))
        total += done
        if done < BATCH:
            return total


class MessagePipeline:
    """One background thread per app process that runs pending reactions as soon as a
    request's transaction has stored a message (see ``wake``)."""

    def __init__(self, database: Database, clock: Clock) -> None:
        self.database = database
        self.clock = clock
        self._signal = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None

    def wake(self) -> None:
        self._signal.set()

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="yiwen-message-pipeline")
        self._thread.daemon = True
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop after the pass under way; what is still pending stays marked for the next
        process or the sweep."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._stopping.set()
        self._signal.set()
        thread.join(timeout)

    def drain(self) -> int:
        """Run passes until nothing is pending (tests, and a stopping process)."""
        total = 0
        while done := run_pending(self.database, self.clock):
            total += done
        return total

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._signal.wait(IDLE_POLL_SECONDS)
            self._signal.clear()
            try:
                while not self._stopping.is_set() and run_pending(self.database, self.clock):
                    pass
            except Exception:
                log.exception("message pipeline pass failed")
