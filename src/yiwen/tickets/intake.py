"""How customers open, follow up and rate tickets (portal form, widget, shop app).

A customer only ever sees their own tickets: lookups by number check the
owner, and tracking without a token needs the contact given on the ticket.
A ticket the customer may not see is reported as not found, never forbidden,
so numbers cannot be probed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from yiwen.attachments.models import Attachment
from yiwen.attachments.service import get_customer_attachments
from yiwen.auth.audit import Actor
from yiwen.conversations import service as conversations
from yiwen.conversations.access import CustomerPrincipal
from yiwen.conversations.models import Conversation, Message
from yiwen.core.clock import Clock, to_local
from yiwen.core.errors import Conflict, InvalidInput, NotFound
from yiwen.core.i18n import register_messages, translate
from yiwen.core.ids import new_id
from yiwen.customers.models import Customer
from yiwen.customers.service import (
    contacts_of,
    find_or_create_customer,
    get_customer,
    link_identity,
    normalise_contact,
)
from yiwen.store.protocol import Order, StoreConnector
from yiwen.tickets import service
from yiwen.tickets.models import Ticket
from yiwen.tickets.taxonomy import CATEGORIES

register_messages(
    {
        "order_no_required": (
            "该问题类型需要填写订单号",
            "This problem type needs the order number",
        ),
        "submission_key_reused": (
            "该表单编号已用于另一份工单，请刷新页面后重新填写",
            "This submission_key was already used for another ticket form",
        ),
        "form.summary": (
            "【工单表单】{category}\n订单号：{order_no}\n支付时间：{paid_at}\n金额：{amount}\n"
            "支付方式：{payment_method}\n诉求：{demand}\n说明：{description}",
            "[Ticket form] {category}\nOrder: {order_no}\nPaid at: {paid_at}\nAmount: {amount}\n"
            "Payment: {payment_method}\nDemand: {demand}\nDetails: {description}",
        ),
    }
)

# Problem types that cannot be handled without knowing the order.
ORDER_REQUIRED = frozenset(
    {"delivery_missing", "card_invalid", "refund_request", "refund_status", "payment_issue"}
)
DEMAND_LABELS = {
    "resend": "补发/重新发货",
    "refund": "原路退款",
    "explain": "解释说明",
    "other": "其他",
}


@dataclass
class TicketForm:
    category: str
    description: str
    demand: str
    order_no: str | None = None
    paid_at: datetime | None = None
    amount: Decimal | None = None
    payment_method: str | None = None
    contact: str | None = None
    urgent: bool = False
    evidence_ids: tuple[str, ...] = ()
    submission_key: str | None = None


@dataclass(frozen=True)
class Submitted:
    ticket: Ticket
    conversation: Conversation
    token: str | None  # set when the submission started a new conversation
    created: bool


def submit_ticket_form(
    db: Session,
    clock: Clock,
    store: StoreConnector,
    who: CustomerPrincipal | None,
    form: TicketForm,
    *,
    conversation_id: str | None,
    prefix: str,
    max_chars: int,
) -> Submitted:
    """Open a ticket from the structured form: problem type, key facts and the demand."""
    service.check_category(form.category)
    if form.category in ORDER_REQUIRED and not form.order_no:
        raise InvalidInput("order_no_required")
    contact = normalise_contact(form.contact)[1] if form.contact else None
    facts = _key_facts(form)
    if form.submission_key:
        _serialise_submissions(db, form.submission_key)
        previous = db.scalar(select(Ticket).where(Ticket.submission_key == form.submission_key))
        if previous is not None:
            _check_same_submission(previous, who, form, contact, facts)
            conversation = conversations.get_conversation(db, previous.conversation_id or "")
            return Submitted(previous, conversation, None, created=False)
    order = store.get_order(form.order_no) if form.order_no else None
    customer, conversation, token = _customer_and_conversation(
        db, clock, who, conversation_id, contact
    )
    evidence = get_customer_attachments(db, customer.id, list(form.evidence_ids))
    key_info = facts | {"order_verified": _order_belongs_to(order, who, contact) if order else None}
    ticket = service.open_ticket(
        db,
        clock,
        service.NewTicket(
            customer_id=customer.id,
            channel=conversation.channel,
            category=form.category,
            subject=_subject(form),
            description=form.description.strip(),
            conversation_id=conversation.id,
            urgent=form.urgent,
            demand=form.demand,
            contact=contact or _first_contact(customer),
            key_info=key_info,
            order_nos=[form.order_no] if form.order_no else [],
            submission_key=form.submission_key,
        ),
        actor=Actor.customer(customer.id),
        prefix=prefix,
    )
    for attachment in evidence:
        attach_evidence(db, clock, ticket, attachment, actor=Actor.customer(customer.id))
    # The form already says what the bot would ask, and the ticket is queued for people:
    # the bot must not take the summary below as a new question (and open a second ticket).
    if conversation.status == "bot":
        conversation.status = "waiting"
    conversations.post_customer_message(
        db,
        clock,
        conversation,
        body=_form_summary(form)[:max_chars],
        client_msg_id=f"form-{ticket.id}",
        attachment_ids=[a.id for a in evidence],
        max_chars=max_chars,
    )
    return Submitted(ticket, conversation, token, created=True)


def _key_facts(form: TicketForm) -> dict[str, object]:
    """The order facts the customer typed, as the ticket keeps them for the agent."""
    return {
        "order_no": form.order_no,
        "paid_at": to_local(form.paid_at).isoformat(timespec="minutes") if form.paid_at else None,
        "amount": str(form.amount) if form.amount is not None else None,
        "payment_method": form.payment_method,
    }


def _serialise_submissions(db: Session, submission_key: str) -> None:
    """Make copies of one form fill that arrive together wait for each other.

    Without this, a double click on PostgreSQL sends two requests that both find
    no ticket yet, and the second fails on the unique key instead of returning
    the first. SQLite already runs one writing transaction at a time.
    """
    if db.get_bind().dialect.name != "postgresql":
        return
    digest = hashlib.sha256(submission_key.encode()).digest()
    key = int.from_bytes(digest[:8], "big", signed=True)
    db.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def _check_same_submission(
    previous: Ticket,
    who: CustomerPrincipal | None,
    form: TicketForm,
    contact: str | None,
    facts: dict[str, object],
) -> None:
    """A resubmitted key returns the first ticket only to the same customer with the same form.

    Otherwise a reused or guessed key would hand someone else's ticket (handler,
    timeline, resolution) to the caller; without a token the contact on the
    ticket stands in for the customer.
    """
    same_owner = (
        previous.customer_id == who.customer_id if who is not None else previous.contact == contact
    )
    same_form = (
        previous.category == form.category
        and previous.description == form.description.strip()
        and previous.demand == form.demand
        and previous.urgent == form.urgent
        and {name: (previous.key_info or {}).get(name) for name in facts} == facts
    )
    if not (same_owner and same_form):
        raise Conflict("submission_key_reused")


def attach_evidence(
    db: Session, clock: Clock, ticket: Ticket, attachment: Attachment, *, actor: Actor
) -> None:
    attachment.ticket_id = ticket.id
    service.add_event(
        db,
        clock,
        ticket,
        "evidence_added",
        actor,
        visibility="public",
        data={"attachment_id": attachment.id, "filename": attachment.filename},
    )


def customer_reply(
    db: Session,
    clock: Clock,
    ticket: Ticket,
    *,
    body: str,
    client_msg_id: str,
    attachment_ids: list[str],
    max_chars: int,
) -> tuple[Message, bool]:
    """The customer adds information; a ticket waiting on them goes back to the agent."""
    if ticket.conversation_id is None:
        raise Conflict("ticket_closed")
    if ticket.status == "closed":
        raise Conflict("ticket_closed")
    conversation = conversations.get_conversation(db, ticket.conversation_id)
    message, created = conversations.post_customer_message(
        db,
        clock,
        conversation,
        body=body,
        client_msg_id=client_msg_id,
        attachment_ids=attachment_ids,
        max_chars=max_chars,
    )
    if created:
        message.ticket_id = ticket.id
        actor = Actor.customer(ticket.customer_id)
        service.add_event(
            db,
            clock,
            ticket,
            "customer_reply",
            actor,
            visibility="public",
            data={"message_id": message.id},
        )
        for attachment in get_customer_attachments(db, ticket.customer_id, attachment_ids):
            attach_evidence(db, clock, ticket, attachment, actor=actor)
        if ticket.status == "pending_customer":
            service.change_status(db, clock, ticket, "open", actor=actor)
    return message, created


def get_ticket_for(db: Session, who: CustomerPrincipal, number: str) -> Ticket:
    ticket = service.get_ticket_by_number(db, number)
    if ticket.customer_id != who.customer_id:
        raise NotFound("ticket_not_found")
    return ticket


def track_ticket(db: Session, number: str, contact: str) -> Ticket:
    """A ticket found by its number plus the contact on file (phone or email)."""
    try:
        _, value = normalise_contact(contact)
        ticket = service.get_ticket_by_number(db, number)
    except (InvalidInput, NotFound):
        raise NotFound("ticket_verification_failed") from None
    customer = db.get(Customer, ticket.customer_id)
    known = {ticket.contact} | set(contacts_of(customer) if customer else [])
    if value not in known:
        raise NotFound("ticket_verification_failed")
    return ticket


def tickets_of(db: Session, who: CustomerPrincipal, limit: int = 50) -> list[Ticket]:
    return service.recent_tickets_of_customer(db, who.customer_id, limit=limit)


def _customer_and_conversation(
    db: Session,
    clock: Clock,
    who: CustomerPrincipal | None,
    conversation_id: str | None,
    contact: str | None,
) -> tuple[Customer, Conversation, str | None]:
    if who is None:
        customer = find_or_create_customer(db, clock, channel="web", external_id=new_id())
    else:
        customer = get_customer(db, who.customer_id)
    if contact:
        channel = "phone" if contact.isdigit() else "email"
        link_identity(db, clock, customer, channel=channel, external_id=contact)
    target = conversation_id or (who.conversation_id if who else None)
    if target is not None:
        conversation = conversations.get_conversation(db, target)
        if conversation.customer_id != customer.id:
            raise NotFound("conversation_not_found")
        return customer, conversation, None
    conversation, token = conversations.start_conversation(db, clock, customer, channel="web")
    return customer, conversation, token


def _order_belongs_to(order: Order, who: CustomerPrincipal | None, contact: str | None) -> bool:
    if who is not None and who.shop_user_id and order.shop_user_id == who.shop_user_id:
        return True
    return contact is not None and order.contact is not None and order.contact.lower() == contact


def _first_contact(customer: Customer) -> str | None:
    contacts = contacts_of(customer)
    return contacts[0] if contacts else None


def _subject(form: TicketForm) -> str:
    label = CATEGORIES[form.category][0]
    return f"{label} · {form.order_no}" if form.order_no else label


def _form_summary(form: TicketForm) -> str:
    dash = "—"
    return translate(
        "form.summary",
        category=CATEGORIES[form.category][0],
        order_no=form.order_no or dash,
        paid_at=to_local(form.paid_at).strftime("%Y-%m-%d %H:%M") if form.paid_at else dash,
        amount=f"{form.amount} 元" if form.amount is not None else dash,
        payment_method=form.payment_method or dash,
        demand=DEMAND_LABELS.get(form.demand, form.demand),
        description=form.description.strip(),
    )
