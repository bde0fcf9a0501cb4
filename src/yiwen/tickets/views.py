"""What a ticket looks like to the customer: stage, handler, promises and the public timeline."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from yiwen.auth.models import StaffUser
from yiwen.core.clock import to_local
from yiwen.core.i18n import Language, translate
from yiwen.tickets import service, taxonomy
from yiwen.tickets.models import Ticket, TicketEvent
from yiwen.tickets.status import PUBLIC_STAGE, STATUS_LABELS


def handler_name(db: Session, ticket: Ticket) -> str | None:
    if ticket.assignee_id is None:
        return None
    agent = db.get(StaffUser, ticket.assignee_id)
    return agent.display_name if agent else None


def _local(moment: datetime | None) -> str | None:
    return to_local(moment).isoformat(timespec="minutes") if moment else None


def _label(status: str, language: Language) -> str:
    zh, en = STATUS_LABELS[status]
    return zh if language == "zh-CN" else en


def event_text(event: TicketEvent, language: Language) -> str:
    """The sentence a customer reads for one public timeline event."""
    data = event.data or {}
    match event.kind:
        case "created":
            return translate("timeline.created", language, number=data.get("number", ""))
        case "status_changed":
            return translate(
                "timeline.status", language, label=_label(str(data.get("to")), language)
            )
        case "assigned" | "transferred":
            return translate("timeline.assigned", language, name=data.get("name", ""))
        case "resolved":
            return translate("timeline.resolved", language, note=event.body)
        case "reopened":
            return translate("timeline.reopened", language)
        case "csat":
            return translate("timeline.csat", language, score=data.get("score", ""))
        case "evidence_added":
            return translate("timeline.evidence", language, filename=data.get("filename", ""))
        case "reply":
            return translate("timeline.reply", language)
        case "customer_reply":
            return translate("timeline.customer_reply", language)
        case _:
            code = data.get("text_code")
            params = data.get("text_params")
            if isinstance(code, str):
                return translate(code, language, **(params if isinstance(params, dict) else {}))
            return event.body


def public_view(db: Session, ticket: Ticket, language: Language) -> dict[str, object]:
    zh, en = taxonomy.CATEGORIES[ticket.category]
    rating = service.rating_for_current_round(db, ticket)
    return {
        "number": ticket.number,
        "status": ticket.status,
        "stage": PUBLIC_STAGE[ticket.status],
        "status_label": _label(ticket.status, language),
        "category": ticket.category,
        "category_label": zh if language == "zh-CN" else en,
        "subject": ticket.subject,
        "priority": ticket.priority,
        "urgent": ticket.urgent,
        "handler": handler_name(db, ticket),
        "created_at": _local(ticket.created_at),
        "first_response_due_at": _local(ticket.first_response_due_at),
        "promised_at": _local(ticket.due_at),
        "resolved_at": _local(ticket.resolved_at),
        "resolution_note": ticket.resolution_note
        if ticket.status in ("resolved", "closed")
        else None,
        "order_nos": service.order_nos_of(db, ticket),
        "conversation_id": ticket.conversation_id,
        "can_rate": ticket.status in ("resolved", "closed")
        and rating is None
        and ticket.resolution_round > 0,
        "rating": {"score": rating.score, "comment": rating.comment} if rating else None,
        "can_reopen": ticket.status in ("resolved", "closed"),
        "timeline": [
            {
                "at": _local(event.at),
                "kind": event.kind,
                "actor_type": event.actor_type,
                "actor_name": event.actor_name if event.actor_type != "customer" else None,
                "text": event_text(event, language),
            }
            for event in service.timeline(db, ticket, include_internal=False)
        ],
    }
