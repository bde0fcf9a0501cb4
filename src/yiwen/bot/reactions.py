"""In-transaction reactions that put conversations in the bot's hands.

A new conversation starts with the bot when ``settings.bot_enabled``; a
customer writing again in a conversation the bot resolved gets the bot again
(a fresh episode that keeps what the bot already knows), not a human queue.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from yiwen.bot.models import BotSession
from yiwen.conversations.models import Conversation
from yiwen.conversations.pipeline import add_prefetch
from yiwen.core.db import session_context
from yiwen.core.events import DomainEvent, bus
from yiwen.core.settings import Settings

_PREFETCHED_SESSIONS = "yiwen_bot_prefetched_sessions"


def _bot_enabled(session: Session) -> bool:
    try:
        settings = session_context(session, "settings")
    except LookupError:
        return False  # a database without settings (a tool's) keeps the human path
    return isinstance(settings, Settings) and settings.bot_enabled


def start_with_bot(session: Session, event: DomainEvent) -> None:
    conversation = session.get(Conversation, event.payload.get("conversation_id"))
    if conversation is not None and conversation.status == "waiting" and _bot_enabled(session):
        conversation.status = "bot"


def back_to_bot(session: Session, event: DomainEvent) -> None:
    message = event.payload.get("message")
    if not isinstance(message, dict) or message.get("sender_type") != "customer":
        return
    conversation = session.get(Conversation, message.get("conversation_id"))
    if conversation is None or conversation.status != "waiting" or conversation.assignee_id:
        return
    if not _bot_enabled(session):
        return
    prefetched: dict[str, BotSession | None] = session.info.get(_PREFETCHED_SESSIONS, {})
    bot = (
        prefetched[conversation.id]
        if conversation.id in prefetched
        else session.get(BotSession, conversation.id)
    )
    if bot is None or bot.state != "resolved":
        return
    conversation.status = "bot"
    bot.state, bot.goal, bot.pending = "active", None, None
    bot.failures, bot.clarifications, bot.ticket_id = 0, 0, None


def prefetch_sessions(session: Session, conversation_ids: list[str]) -> None:
    """The message pipeline's batch: every bot session ``back_to_bot`` may read, and which
    conversations have none. A pass creates no bot session (the bot's turns run after
    its commit), so "none" holds for the whole batch; the dictionary also keeps the
    objects alive (the identity map holds unmodified objects only weakly)."""
    found: dict[str, BotSession | None] = dict.fromkeys(conversation_ids)
    for bot in session.scalars(
        select(BotSession).where(BotSession.conversation_id.in_(conversation_ids))
    ):
        found[bot.conversation_id] = bot
    session.info[_PREFETCHED_SESSIONS] = found


def install_reactions() -> None:
    bus.subscribe_in_transaction("conversation.started", start_with_bot)
    bus.subscribe_in_transaction("message.created", back_to_bot)
    add_prefetch(prefetch_sessions)
