"""One customer's history across channels: every conversation and its messages, in order."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from yiwen.conversations.models import Conversation, Message

MAX_CONVERSATIONS = 200


def conversations_of(db: Session, customer_id: str) -> list[Conversation]:
    return list(
        db.scalars(
            select(Conversation)
            .where(Conversation.customer_id == customer_id)
            .order_by(Conversation.created_at, Conversation.id)
            .limit(MAX_CONVERSATIONS)
        )
    )


def messages_of(
    db: Session, conversation_ids: list[str], *, after: int | None, limit: int
) -> tuple[list[Message], int | None]:
    """Messages of these conversations by id (ids grow with time), one page at a time."""
    if not conversation_ids:
        return [], None
    query = select(Message).where(Message.conversation_id.in_(conversation_ids))
    if after is not None:
        query = query.where(Message.id > after)
    rows = list(db.scalars(query.order_by(Message.id).limit(limit + 1)))
    if len(rows) > limit:
        rows = rows[:limit]
        return rows, rows[-1].id
    return rows, None
