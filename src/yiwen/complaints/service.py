"""Registering an external complaint: one urgent ticket, matched, routed, on the platform's clock.

Each complaint becomes a ticket of category ``complaint`` at ``urgent``
priority, linked to the customer (through the order's shop account or
purchase contact, else the complainant's contact) and to the order when the
shop knows it, handed to the least-loaded supervisor (or, with none active,
waiting in the complaint queue at L2), with the platform's deadline as the
ticket's resolution due time. A complaint is registered once per
(platform, external reference); registering it again returns the first one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from yiwen.auth.audit import Actor, record_audit
from yiwen.auth.models import StaffUser
from yiwen.complaints import messages as _messages  # noqa: F401  (registers the texts)
from yiwen.complaints.models import PLATFORMS, ExternalComplaint
from yiwen.core.clock import Clock, to_local
from yiwen.core.cursor import decode_cursor, encode_cursor
from yiwen.core.errors import Conflict, InvalidInput, NotFound
from yiwen.core.i18n import translate
from yiwen.core.settings import Settings
from yiwen.customers.models import Customer
from yiwen.customers.service import find_by_identity, normalise_contact
from yiwen.routing.waiting import enqueue_work
from yiwen.sla import clocks
from yiwen.sla.models import TicketSla
from yiwen.sla.policies import load_calendar
from yiwen.store.protocol import Order, OrderNotFound, StoreConnector
from yiwen.tickets import service as tickets
from yiwen.tickets.models import Ticket
from yiwen.tickets.status import OPEN_STATUSES

CHANNEL = "complaint"
SENIOR_TIER = "L2"
MAX_TEXT = 5000


@dataclass(frozen=True)
class NewComplaint:
    platform: str
    external_ref: str
    text: str
    url: str | None = None
    complainant_name: str | None = None
    complainant_contact: str | None = None
    order_no: str | None = None
    external_deadline: datetime | None = None
    source: str = "form"


def check_complaint(new: NewComplaint, now: datetime, *, allow_past_deadline: bool) -> None:
    """Refuse what cannot become a useful ticket (raises InvalidInput with the field's code)."""
    if new.platform not in PLATFORMS:
        raise InvalidInput("complaint_platform_unknown", platform=new.platform)
    if not new.external_ref.strip():
        raise InvalidInput("complaint_ref_missing")
    if not new.text.strip():
        raise InvalidInput("complaint_text_missing")
    deadline = new.external_deadline
    if deadline is not None and deadline <= now and not allow_past_deadline:
        raise InvalidInput(
            "complaint_deadline_past", deadline=to_local(deadline).strftime("%Y-%m-%d %H:%M")
        )


def find_complaint(db: Session, platform: str, external_ref: str) -> ExternalComplaint | None:
    return db.scalar(
        select(ExternalComplaint).where(
            ExternalComplaint.platform == platform,
            ExternalComplaint.external_ref == external_ref.strip()[:200],
        )
    )


def register_complaint(
    db: Session,
    clock: Clock,
    settings: Settings,
    store: StoreConnector,
    new: NewComplaint,
    *,
    actor: Actor,
    allow_past_deadline: bool = False,
) -> tuple[ExternalComplaint, bool]:
    """The complaint and whether it was created now (False: it was registered before)."""
    now = clock.now()
    check_complaint(new, now, allow_past_deadline=allow_past_deadline)
    existing = find_complaint(db, new.platform, new.external_ref)
    if existing is not None:
        return existing, False
    order = _order(store, new.order_no)
    customer = _customer_for(db, clock, new, order)
    label = PLATFORMS[new.platform][0]
    ticket = tickets.open_ticket(
        db,
        clock,
        tickets.NewTicket(
            customer_id=customer.id,
            channel=CHANNEL,
            category="complaint",
            subject=translate("complaint_subject", platform=label, summary=_summary(new.text)),
            description=_description(new),
            urgent=True,
            priority="urgent",
            contact=(new.complainant_contact or "").strip()[:200] or None,
            key_info=_key_info(new),
            order_nos=[order.order_no] if order else [],
        ),
        actor=actor,
        prefix=settings.ticket_number_prefix,
    )
    tickets.add_event(
        db,
        clock,
        ticket,
        "external_complaint",
        actor,
        body=translate("complaint_registered_note", platform=label, ref=new.external_ref.strip()),
        data=_key_info(new),
    )
    if new.external_deadline is not None:
        _fix_deadline(db, settings, now, ticket, new.external_deadline)
    _route_to_supervisor(db, clock, ticket, actor)
    complaint = ExternalComplaint(
        platform=new.platform,
        external_ref=new.external_ref.strip()[:200],
        url=(new.url or "").strip()[:500] or None,
        complainant_name=(new.complainant_name or "").strip()[:100] or None,
        complainant_contact=(new.complainant_contact or "").strip()[:200] or None,
        text=new.text.strip()[:MAX_TEXT],
        order_no=(new.order_no or "").strip()[:64] or None,
        order_matched=order is not None,
        external_deadline=new.external_deadline,
        source=new.source,
        customer_id=customer.id,
        ticket_id=ticket.id,
        registered_by=actor.id if actor.kind == "staff" else None,
        created_at=now,
    )
    try:
        with db.begin_nested():
            db.add(complaint)
            db.flush()
    except IntegrityError:
        # Another request registered the same (platform, reference) meanwhile.
        raise Conflict("complaint_duplicate") from None
    record_audit(
        db,
        clock,
        actor=actor,
        action="complaint.register",
        target_type="complaint",
        target_id=complaint.id,
        after={
            "platform": complaint.platform,
            "external_ref": complaint.external_ref,
            "ticket": ticket.number,
            "customer_id": customer.id,
            "source": complaint.source,
        },
    )
    return complaint, True


def get_complaint(db: Session, complaint_id: str) -> ExternalComplaint:
    complaint = db.get(ExternalComplaint, complaint_id)
    if complaint is None:
        raise NotFound("complaint_not_found")
    return complaint


def list_complaints(
    db: Session, *, cursor: str | None, limit: int
) -> tuple[list[ExternalComplaint], str | None]:
    """Newest first, by a cursor over (created_at, id)."""
    query = select(ExternalComplaint)
    if cursor:
        moment, key = decode_cursor(cursor)
        query = query.where(
            (ExternalComplaint.created_at < moment)
            | ((ExternalComplaint.created_at == moment) & (ExternalComplaint.id < key))
        )
    rows = list(
        db.scalars(
            query.order_by(ExternalComplaint.created_at.desc(), ExternalComplaint.id.desc()).limit(
                limit + 1
            )
        )
    )
    if len(rows) > limit:
        rows = rows[:limit]
        return rows, encode_cursor(rows[-1].created_at, rows[-1].id)
    return rows, None


def _order(store: StoreConnector, order_no: str | None) -> Order | None:
    if not order_no or not order_no.strip():
        return None
    try:
        return store.get_order(order_no.strip())
    except OrderNotFound:
        return None  # kept on the complaint as written; the ticket is not linked to it


def _contact_identity(contact: str | None) -> tuple[str, str] | None:
    if not contact:
        return None
    try:
        return normalise_contact(contact)
    except InvalidInput:
        return None


def _customer_for(db: Session, clock: Clock, new: NewComplaint, order: Order | None) -> Customer:
    """The known customer behind the complaint, else a new record named after the complainant.

    Matching only reads identities; the complainant's contact is a claim made on
    another platform, so no identity is created or moved for it (staff reach
    them through the ticket's contact field).
    """
    candidates: list[tuple[str, str]] = []
    if order is not None:
        if order.shop_user_id:
            candidates.append(("shop", order.shop_user_id))
        if (found := _contact_identity(order.contact)) is not None:
            candidates.append(found)
    if (claimed := _contact_identity(new.complainant_contact)) is not None:
        candidates.append(claimed)
    for channel, external_id in candidates:
        customer = find_by_identity(db, channel, external_id)
        if customer is not None:
            return customer
    now = clock.now()
    customer = Customer(
        display_name=(new.complainant_name or "").strip()[:100] or None,
        tags=["external_complaint"],
        created_at=now,
        updated_at=now,
    )
    db.add(customer)
    db.flush()
    return customer


def _fix_deadline(
    db: Session, settings: Settings, now: datetime, ticket: Ticket, deadline: datetime
) -> None:
    row = db.get(TicketSla, ticket.id)
    if row is None:  # no SLA engine installed: the promise is still the platform's date
        ticket.due_at = deadline
        return
    clocks.fix_resolution_due(db, now, ticket, row, deadline)
    clocks.schedule(row, load_calendar(db, row.calendar_id), now, settings.sla_warning_fractions)


def least_loaded_supervisor(db: Session) -> StaffUser | None:
    open_load = (
        select(func.count(Ticket.id))
        .where(Ticket.assignee_id == StaffUser.id, Ticket.status.in_(OPEN_STATUSES))
        .correlate(StaffUser)
        .scalar_subquery()
    )
    return db.scalar(
        select(StaffUser)
        .where(StaffUser.role == "supervisor", StaffUser.is_active.is_(True))
        .order_by(open_load, StaffUser.created_at, StaffUser.id)
        .limit(1)
    )


def _route_to_supervisor(db: Session, clock: Clock, ticket: Ticket, actor: Actor) -> None:
    """A complaint goes to a supervisor at once; with none active it waits at L2."""
    ticket.tier = SENIOR_TIER
    supervisor = least_loaded_supervisor(db)
    if supervisor is None:
        enqueue_work(
            db,
            clock,
            customer_id=ticket.customer_id,
            conversation=None,
            ticket=ticket,
            reason="requeue",
        )
        return
    tickets.assign_ticket(
        db,
        clock,
        ticket,
        assignee_id=supervisor.id,
        assignee_name=supervisor.display_name,
        actor=actor,
    )


def _summary(text: str) -> str:
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return first[:60] + ("…" if len(first) > 60 else "")


def _description(new: NewComplaint) -> str:
    lines = [new.text.strip()[:MAX_TEXT], ""]
    if new.url:
        lines.append(f"链接：{new.url.strip()}")
    if new.complainant_name:
        lines.append(f"投诉人：{new.complainant_name.strip()}")
    if new.complainant_contact:
        lines.append(f"联系方式：{new.complainant_contact.strip()}")
    if new.order_no:
        lines.append(f"订单号：{new.order_no.strip()}")
    if new.external_deadline:
        lines.append(f"处理期限：{to_local(new.external_deadline).strftime('%Y-%m-%d %H:%M')}")
    return "\n".join(lines).strip()


def _key_info(new: NewComplaint) -> dict[str, object]:
    return {
        "platform": new.platform,
        "external_ref": new.external_ref.strip(),
        "url": new.url,
        "external_deadline": new.external_deadline.isoformat() if new.external_deadline else None,
        "source": new.source,
    }
