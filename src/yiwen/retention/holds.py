"""Legal holds: the rules that keep a conversation (and its archive) where it is.

A conversation is never archived, and an archive never purged, while any of
these holds; each is a SQL condition on the conversation row, so a run and its
preview agree and a 10-million-message table is filtered by indexes:

- ``open_ticket``: a ticket of the conversation is not ``closed`` (new, open,
  pending, or resolved and still waiting for the customer's confirmation).
- ``recent_ticket_activity``: a ticket of the conversation changed after the
  cutoff; the conversation's own last message is not its only activity.
- ``compensation_pending``: an SLA compensation on one of its tickets is unpaid.
- ``money_in_flight``: a refund, re-push or resend (by an agent on one of its
  tickets, or by the bot in it) is still ``processing`` at the shop, or the bot
  still owes the customer a follow-up on one (``bot_followups`` not done).
- ``complaint_open``: the customer has an external complaint (12315, 黑猫投诉…)
  whose ticket is not closed or whose platform deadline has not passed: the
  evidence may sit in any of their conversations.
- ``customer_hold``: an administrator put the customer on hold (诉讼/监管保全).

The last two also hold the customer's archives from being purged.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, SQLColumnExpression, and_, exists, or_, select
from sqlalchemy.orm import Session

from yiwen.auth.audit import Actor, record_audit
from yiwen.bot.models import BotAction, BotFollowup
from yiwen.complaints.models import ExternalComplaint
from yiwen.conversations.models import Conversation
from yiwen.core.clock import Clock
from yiwen.core.errors import InvalidInput, NotFound
from yiwen.customers.service import get_customer
from yiwen.retention import messages as _messages  # noqa: F401  (registers the texts)
from yiwen.retention.models import RetentionHold
from yiwen.sla.models import SlaCompensation
from yiwen.tickets.models import Ticket
from yiwen.workspace.models import OrderAction

# Shop actions that move money or goods (as yiwen.sla.closing counts them).
MONEY_ACTIONS = ("refund", "repush_upstream", "resend_delivery")
HOLD_REASONS = (
    "open_ticket",
    "recent_ticket_activity",
    "compensation_pending",
    "money_in_flight",
    "complaint_open",
    "customer_hold",
)


def _tickets_here() -> ColumnElement[bool]:
    return Ticket.conversation_id == Conversation.id


def customer_hold_conditions(
    customer_id: SQLColumnExpression[str], now: datetime
) -> dict[str, ColumnElement[bool]]:
    """The holds that cover everything of a customer (their conversations and archives)."""
    complaint_open = exists(
        select(ExternalComplaint.id)
        .join(Ticket, Ticket.id == ExternalComplaint.ticket_id)
        .where(
            ExternalComplaint.customer_id == customer_id,
            or_(Ticket.status != "closed", ExternalComplaint.external_deadline > now),
        )
    )
    customer_hold = exists(
        select(RetentionHold.id).where(
            RetentionHold.customer_id == customer_id, RetentionHold.released_at.is_(None)
        )
    )
    return {"complaint_open": complaint_open, "customer_hold": customer_hold}


def hold_conditions(cutoff: datetime, now: datetime) -> dict[str, ColumnElement[bool]]:
    """Each hold rule as a condition on ``Conversation``, true when the rule holds it."""
    return {
        "open_ticket": exists(select(Ticket.id).where(_tickets_here(), Ticket.status != "closed")),
        "recent_ticket_activity": exists(
            select(Ticket.id).where(_tickets_here(), Ticket.updated_at >= cutoff)
        ),
        "compensation_pending": exists(
            select(SlaCompensation.id)
            .join(Ticket, Ticket.id == SlaCompensation.ticket_id)
            .where(_tickets_here(), SlaCompensation.status == "pending")
        ),
        "money_in_flight": or_(
            exists(
                select(OrderAction.id)
                .join(Ticket, Ticket.id == OrderAction.ticket_id)
                .where(
                    _tickets_here(),
                    OrderAction.action.in_(MONEY_ACTIONS),
                    OrderAction.status == "processing",
                )
            ),
            exists(
                select(BotAction.id).where(
                    BotAction.conversation_id == Conversation.id,
                    BotAction.action.in_(MONEY_ACTIONS),
                    BotAction.status == "processing",
                )
            ),
            exists(
                select(BotFollowup.id).where(
                    BotFollowup.conversation_id == Conversation.id, BotFollowup.done_at.is_(None)
                )
            ),
        ),
        **customer_hold_conditions(Conversation.customer_id, now),
    }


def not_held(cutoff: datetime, now: datetime) -> ColumnElement[bool]:
    return and_(*(~condition for condition in hold_conditions(cutoff, now).values()))


def place_hold(
    db: Session, clock: Clock, customer_id: str, reason: str, *, actor: Actor
) -> RetentionHold:
    """Keep everything of a customer until the hold is released (audited)."""
    text = reason.strip()
    if not text:
        raise InvalidInput("retention_hold_reason_required")
    get_customer(db, customer_id)
    hold = RetentionHold(
        customer_id=customer_id, reason=text, placed_by_id=actor.id, placed_at=clock.now()
    )
    db.add(hold)
    db.flush()
    record_audit(
        db,
        clock,
        actor=actor,
        action="retention.hold_placed",
        target_type="customer",
        target_id=customer_id,
        after={"hold_id": hold.id, "reason": text},
    )
    return hold


def release_hold(db: Session, clock: Clock, hold_id: str, *, actor: Actor) -> RetentionHold:
    hold = db.get(RetentionHold, hold_id)
    if hold is None or hold.released_at is not None:
        raise NotFound("retention_hold_not_found")
    hold.released_at = clock.now()
    hold.released_by_id = actor.id
    record_audit(
        db,
        clock,
        actor=actor,
        action="retention.hold_released",
        target_type="customer",
        target_id=hold.customer_id,
        before={"hold_id": hold.id, "reason": hold.reason},
    )
    return hold


def list_holds(db: Session) -> list[RetentionHold]:
    """Active holds, newest first (there are few: each is a deliberate legal act)."""
    return list(
        db.scalars(
            select(RetentionHold)
            .where(RetentionHold.released_at.is_(None))
            .order_by(RetentionHold.placed_at.desc())
        )
    )
