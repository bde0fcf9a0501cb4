"""Closing honestly: a resolved ticket closes only when the customer confirms, or after a
notice and a grace period without reply, and never while money or an action is still open.

The seeds' complaint is tickets "closed silently when the customer stops
chasing". So a resolution asks "问题已解决了吗？" on the public timeline; after
``closing_notice_delay_hours`` the customer is told it will close after
``closing_grace_hours`` (default 72 h); a reply from the customer starts that over.
A refund, re-push or resend still processing at the shop, or a compensation not
yet paid, holds the ticket resolved and it is checked again later. Once closed,
the customer may reopen for ``reopen_window_days`` (default 7).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from yiwen.auth.audit import Actor
from yiwen.core.clock import Clock
from yiwen.core.errors import Conflict, NotFound
from yiwen.core.events import emit
from yiwen.core.settings import Settings
from yiwen.sla import messages as _messages  # noqa: F401  (registers the texts)
from yiwen.sla.models import SlaCompensation, TicketClosing
from yiwen.store.protocol import StoreConnector, StoreUnavailable
from yiwen.tickets import service as tickets
from yiwen.tickets.models import Ticket, TicketOrder
from yiwen.workspace.models import OrderAction

# Shop actions that may leave money or goods owed after the shop answered.
OBLIGATING_ACTIONS = ("refund", "repush_upstream", "resend_delivery")


def _hours(value: float) -> str:
    return f"{value:g}"


def ask_for_confirmation(db: Session, clock: Clock, ticket: Ticket, settings: Settings) -> None:
    now = clock.now()
    row = db.get(TicketClosing, ticket.id)
    if row is None:
        row = TicketClosing(ticket_id=ticket.id, resolved_at=now, next_check_at=now)
        db.add(row)
    row.resolved_at = now
    row.confirmed_at = None
    row.notice_at = None
    row.held_reason = None
    row.next_check_at = now + timedelta(hours=settings.closing_notice_delay_hours)
    tickets.add_event(
        db,
        clock,
        ticket,
        "confirm_requested",
        Actor.system(),
        visibility="public",
        data={"text_code": "closing.confirm_request", "text_params": {}},
    )


def forget(db: Session, ticket_id: str) -> None:
    row = db.get(TicketClosing, ticket_id)
    if row is not None:
        db.delete(row)


def customer_replied(db: Session, now: datetime, ticket: Ticket, settings: Settings) -> None:
    """A reply is not silence: the notice and its grace period start over."""
    row = db.get(TicketClosing, ticket.id)
    if row is None or row.confirmed_at is not None:
        return
    row.notice_at = None
    row.next_check_at = now + timedelta(hours=settings.closing_notice_delay_hours)


def open_obligation(db: Session, store: StoreConnector, ticket_id: str) -> str | None:
    """What the shop or we still owe on this ticket, if anything ("refund", "supplier",
    "shop_unreachable", "compensation").

    The shop is asked about every order of the ticket and every order an action
    on it touched: a refund booked but not yet back with the payer, or a push to
    the supplier still on its way, is open whoever started it (agent, bot, shop).
    """
    linked = db.scalars(select(TicketOrder.order_no).where(TicketOrder.ticket_id == ticket_id))
    acted = db.scalars(
        select(OrderAction.order_no).where(
            OrderAction.ticket_id == ticket_id,
            OrderAction.action.in_(OBLIGATING_ACTIONS),
            OrderAction.status != "done",
            OrderAction.order_no.is_not(None),
        )
    )
    for order_no in sorted({*linked, *(no for no in acted if no)}):
        owed = _owed_at_shop(store, order_no)
        if owed is not None:
            return owed
    unpaid = db.scalar(
        select(SlaCompensation.id).where(
            SlaCompensation.ticket_id == ticket_id, SlaCompensation.status == "pending"
        )
    )
    return "compensation" if unpaid is not None else None


def _owed_at_shop(store: StoreConnector, order_no: str) -> str | None:
    try:
        order = store.get_order(order_no)
    except StoreUnavailable:
        return "shop_unreachable"  # unknown is not settled
    except NotFound:
        return None
    # A refund is settled once the payer has the money back, not when the shop booked it.
    paid_back = sum((payment.refunded_amount for payment in order.payments), Decimal(0))
    if paid_back < order.refunded_amount:
        return "refund"
    pushing = any(push.status in ("pending", "processing") for push in order.upstream_pushes)
    if pushing or order.delivery.status == "processing":
        return "supplier"
    return None


def confirm_by_customer(
    db: Session,
    clock: Clock,
    store: StoreConnector,
    settings: Settings,
    ticket: Ticket,
    *,
    actor: Actor,
) -> None:
    """The customer says it is solved: close now, or as soon as nothing is owed any more."""
    if ticket.status != "resolved":
        raise Conflict("confirm_not_resolved")
    now = clock.now()
    row = db.get(TicketClosing, ticket.id)
    if row is None:
        row = TicketClosing(
            ticket_id=ticket.id, resolved_at=ticket.resolved_at or now, next_check_at=now
        )
        db.add(row)
        db.flush()  # closing right away deletes it again (``forget``)
    row.confirmed_at = now
    row.next_check_at = now
    tickets.add_event(
        db,
        clock,
        ticket,
        "customer_confirmed",
        actor,
        visibility="public",
        data={"text_code": "closing.confirmed", "text_params": {}},
    )
    held = open_obligation(db, store, ticket.id)
    if held is not None:
        _hold(row, held, now, settings)
        return
    tickets.change_status(db, clock, ticket, "closed", actor=actor)


def _hold(row: TicketClosing, reason: str, now: datetime, settings: Settings) -> None:
    row.held_reason = reason
    row.next_check_at = now + timedelta(minutes=settings.closing_recheck_minutes)


def check_ticket_closing(
    db: Session, clock: Clock, store: StoreConnector, settings: Settings, row: TicketClosing
) -> str:
    """One step of the closing sweep for one resolved ticket; returns what happened."""
    ticket = db.get(Ticket, row.ticket_id)
    if ticket is None or ticket.status != "resolved":
        db.delete(row)
        return "dropped"
    now = clock.now()
    held = open_obligation(db, store, ticket.id)
    if held is not None:
        _hold(row, held, now, settings)
        return "held"
    row.held_reason = None
    actor = Actor.system()
    if row.confirmed_at is not None:
        tickets.change_status(db, clock, ticket, "closed", actor=actor)
        return "closed"
    grace = timedelta(hours=settings.closing_grace_hours)
    if row.notice_at is None:
        row.notice_at = now
        row.next_check_at = now + grace
        tickets.add_event(
            db,
            clock,
            ticket,
            "close_notice",
            actor,
            visibility="public",
            data={
                "text_code": "closing.notice",
                "text_params": {"hours": _hours(settings.closing_grace_hours)},
            },
        )
        emit(
            db,
            "ticket.close_notice",
            ticket_id=ticket.id,
            close_at=row.next_check_at.isoformat(),
            hours=settings.closing_grace_hours,
        )
        return "noticed"
    if now < row.notice_at + grace:
        row.next_check_at = row.notice_at + grace
        return "waiting"
    tickets.add_event(
        db,
        clock,
        ticket,
        "auto_closed",
        actor,
        visibility="public",
        data={
            "text_code": "closing.auto_closed",
            "text_params": {
                "hours": _hours(settings.closing_grace_hours),
                "days": _hours(settings.reopen_window_days),
            },
        },
    )
    tickets.change_status(db, clock, ticket, "closed", actor=actor)
    return "closed"


def check_reopen_window(clock: Clock, settings: Settings, ticket: Ticket) -> None:
    """After the window a closed ticket stays closed; the customer opens a new one."""
    if ticket.status != "closed" or ticket.closed_at is None:
        return
    if clock.now() > ticket.closed_at + timedelta(days=settings.reopen_window_days):
        raise Conflict("reopen_window_passed", days=_hours(settings.reopen_window_days))


def reopen_by_customer(
    db: Session, clock: Clock, settings: Settings, ticket: Ticket, *, actor: Actor, reason: str
) -> None:
    check_reopen_window(clock, settings, ticket)
    tickets.reopen_ticket(db, clock, ticket, actor=actor, reason=reason)
