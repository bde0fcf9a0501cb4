"""What an agent's draft is written from: the public thread and the facts of its tickets.

Internal notes stay out: a draft goes to the customer once the agent sends it,
and notes may hold things the customer must not read.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from yiwen.bot.llm.service import ConversationLine
from yiwen.conversations.models import Message
from yiwen.conversations.service import get_conversation
from yiwen.core.clock import to_local
from yiwen.tickets.models import Ticket
from yiwen.tickets.service import order_nos_of
from yiwen.tickets.status import STATUS_LABELS

RECENT_MESSAGES = 30
RECENT_TICKETS = 3


def draft_context(
    db: Session, conversation_id: str
) -> tuple[list[ConversationLine], dict[str, str]]:
    """The latest public messages (oldest first) and the facts of the latest tickets."""
    conversation = get_conversation(db, conversation_id)
    recent = db.scalars(
        select(Message)
        .where(Message.conversation_id == conversation.id, Message.visibility == "public")
        .order_by(Message.id.desc())
        .limit(RECENT_MESSAGES)
    )
    lines = [ConversationLine(m.sender_type, m.body) for m in reversed(list(recent)) if m.body]
    tickets = db.scalars(
        select(Ticket)
        .where(Ticket.conversation_id == conversation.id)
        .order_by(Ticket.created_at.desc())
        .limit(RECENT_TICKETS)
    )
    facts: dict[str, str] = {}
    for position, ticket in enumerate(tickets, start=1):
        prefix = "工单" if position == 1 else f"工单{position}"
        facts[f"{prefix}号"] = ticket.number
        facts[f"{prefix}状态"] = STATUS_LABELS.get(ticket.status, (ticket.status, ""))[0]
        facts[f"{prefix}类型"] = ticket.category
        facts[f"{prefix}标题"] = ticket.subject
        order_nos = order_nos_of(db, ticket)
        if order_nos:
            facts[f"{prefix}订单号"] = "、".join(order_nos)
        if ticket.due_at is not None:
            facts[f"{prefix}预计完成"] = to_local(ticket.due_at).strftime("%Y-%m-%d %H:%M")
    return lines, facts
