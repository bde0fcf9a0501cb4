"""Search for staff: the index's hits with their messages, tickets and conversations."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from yiwen.conversations.models import Conversation, Message
from yiwen.core.errors import InvalidInput
from yiwen.search import index
from yiwen.search import messages as _messages  # noqa: F401  (registers the error texts)
from yiwen.search.terms import query_terms
from yiwen.tickets.models import Ticket

SNIPPET_CHARS = 120


@dataclass(frozen=True)
class SearchHit:
    row: int
    kind: str
    conversation_id: str | None
    channel: str | None
    customer_id: str | None
    created_at: datetime
    snippet: str
    message_id: int | None = None
    sender_type: str | None = None
    visibility: str | None = None
    ticket_id: str | None = None
    ticket_number: str | None = None
    ticket_status: str | None = None


def snippet(body: str, terms: list[str]) -> str:
    """About ``SNIPPET_CHARS`` characters of ``body`` around the first word that matched."""
    flat = " ".join(body.split())
    lowered = flat.lower()
    at = min((i for t in terms if (i := lowered.find(t)) >= 0), default=0)
    start = max(0, at - SNIPPET_CHARS // 3)
    piece = flat[start : start + SNIPPET_CHARS]
    return ("…" if start else "") + piece + ("…" if start + SNIPPET_CHARS < len(flat) else "")


def search(
    db: Session,
    query: str,
    *,
    kind: str | None = None,
    before: int | None = None,
    limit: int = 20,
) -> tuple[list[SearchHit], int | None]:
    """The newest ``limit`` hits for ``query``; returns them and the cursor of the next page."""
    terms = query_terms(query)
    if not terms:
        raise InvalidInput("search_query_empty")
    rows = index.find(db, query, kind=kind, before=before, limit=limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    message_ids = [int(r.ref) for r in rows if r.kind == "message"]
    ticket_ids = [r.ref for r in rows if r.kind == "ticket"]
    found_messages = (
        {m.id: m for m in db.scalars(select(Message).where(Message.id.in_(message_ids)))}
        if message_ids
        else {}
    )
    found_tickets = (
        {t.id: t for t in db.scalars(select(Ticket).where(Ticket.id.in_(ticket_ids)))}
        if ticket_ids
        else {}
    )
    conversation_ids = {r.conversation_id for r in rows if r.conversation_id}
    conversations = (
        {
            c.id: c
            for c in db.scalars(select(Conversation).where(Conversation.id.in_(conversation_ids)))
        }
        if conversation_ids
        else {}
    )
    hits: list[SearchHit] = []
    for row in rows:
        conversation = conversations.get(row.conversation_id or "")
        channel = conversation.channel if conversation else None
        if row.kind == "message":
            message = found_messages.get(int(row.ref))
            if message is None:  # archived since it was indexed
                continue
            hits.append(
                SearchHit(
                    row=row.row,
                    kind="message",
                    conversation_id=message.conversation_id,
                    channel=channel,
                    customer_id=conversation.customer_id if conversation else None,
                    created_at=message.created_at,
                    snippet=snippet(message.body, terms),
                    message_id=message.id,
                    sender_type=message.sender_type,
                    visibility=message.visibility,
                    ticket_id=message.ticket_id,
                )
            )
        else:
            ticket = found_tickets.get(row.ref)
            if ticket is None:
                continue
            hits.append(
                SearchHit(
                    row=row.row,
                    kind="ticket",
                    conversation_id=ticket.conversation_id,
                    channel=channel or ticket.channel,
                    customer_id=ticket.customer_id,
                    created_at=ticket.created_at,
                    snippet=snippet(f"{ticket.subject} {ticket.description or ''}", terms),
                    ticket_id=ticket.id,
                    ticket_number=ticket.number,
                    ticket_status=ticket.status,
                )
            )
    return hits, (rows[-1].row if more and rows else None)
