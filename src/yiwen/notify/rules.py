"""Which event notifies whom: outbox rows written inside the transaction of the change.

Customers hear about every change they can see (a reply, a ticket's status,
its resolution, a compensation, a close notice, their place in the queue) on
their channel when it has an adapter, by email when they have an email identity
and SMTP is configured, and by SMS for the few notices worth a text. Webhook
endpoints receive every event their filter selects. Staff hear about
assignments and SLA warnings on the staff WebSocket, which carries every
committed event already (:class:`yiwen.conversations.realtime.RealtimeHub`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from yiwen.conversations.models import Conversation
from yiwen.core.clock import Clock, to_local
from yiwen.core.db import session_context
from yiwen.core.events import DomainEvent, bus
from yiwen.core.i18n import translate
from yiwen.core.ids import new_id
from yiwen.core.settings import Settings
from yiwen.customers.models import Identity
from yiwen.notify import messages as _messages  # noqa: F401  (registers the notice texts)
from yiwen.notify.addresses import is_email, is_phone
from yiwen.notify.endpoints import active_endpoints, install_listeners
from yiwen.notify.outbox import enqueue
from yiwen.tickets.models import Ticket
from yiwen.tickets.status import STATUS_LABELS

# Session-context key: the channels that have an adapter to push to (set by the wiring).
PUSH_CHANNELS = "push_channels"
# Replies come often: a text message for each would cost the shop and annoy the customer.
SMS_EVENTS = frozenset({"ticket.resolved", "sla.compensated", "ticket.close_notice"})
# Channels whose identities are email addresses and whose pushes are mails.
MAIL_CHANNELS = frozenset({"email"})


@dataclass(frozen=True)
class CustomerNotice:
    key: str
    event: str
    customer_id: str
    channel: str | None
    subject: str
    text: str
    by_email: bool = True
    # The channel account the conversation runs on: its identity is the one to reply to.
    account_id: str | None = None
    # Files sent with a reply (an agent's screenshot): chat channels send them too.
    attachment_ids: tuple[str, ...] = ()


def install_reactions() -> None:
    install_listeners()
    bus.subscribe_in_transaction("*", queue_notifications)


def queue_notifications(db: Session, event: DomainEvent) -> None:
    queue_webhooks(db, event)
    notice = customer_notice(db, event)
    if notice is not None:
        queue_customer_notice(db, notice)


def event_matches(filters: list[str], name: str) -> bool:
    """An empty filter takes every event; ``"ticket.*"`` takes every ``ticket.`` event."""
    if not filters:
        return True
    return any(
        name.startswith(item[:-1]) if item.endswith(".*") else name == item for item in filters
    )


def queue_webhooks(db: Session, event: DomainEvent) -> None:
    endpoints = [
        endpoint
        for endpoint in active_endpoints(db)
        if event_matches(list(endpoint.events), event.name)
    ]
    if not endpoints:
        return
    clock = _clock(db)
    event_id = new_id()
    document: dict[str, object] = {
        "id": event_id,
        "event": event.name,
        "occurred_at": clock.now().isoformat(),
        "data": json.loads(json.dumps(event.payload, ensure_ascii=False, default=str)),
    }
    for endpoint in endpoints:
        enqueue(
            db,
            clock,
            key=f"webhook:{endpoint.id}:{event_id}",
            kind="webhook",
            event=event.name,
            recipient=endpoint.id,
            payload=document,
        )


def queue_customer_notice(db: Session, notice: CustomerNotice) -> None:
    clock = _clock(db)
    settings = session_context(db, "settings")
    assert isinstance(settings, Settings)
    push_channels = db.info.get(PUSH_CHANNELS, frozenset())
    mailed_by_channel = False
    if notice.channel is not None and notice.channel in push_channels:
        external_id = _channel_recipient(db, notice)
        if external_id is not None:
            # The email channel already mails this customer: the email notifier must not too.
            mailed_by_channel = notice.channel in MAIL_CHANNELS
            payload: dict[str, object] = {"text": notice.text}
            if notice.attachment_ids:
                payload["attachment_ids"] = list(notice.attachment_ids)
            enqueue(
                db,
                clock,
                key=f"{notice.key}:channel",
                kind="channel",
                event=notice.event,
                recipient=f"{notice.channel}:{external_id}",
                payload=payload,
            )
    if notice.by_email and settings.smtp_host and not mailed_by_channel:
        address = _identity(db, notice.customer_id, "email", is_email)
        if address is not None:
            enqueue(
                db,
                clock,
                key=f"{notice.key}:email",
                kind="email",
                event=notice.event,
                recipient=address,
                payload={"subject": notice.subject, "body": notice.text},
            )
    if notice.event in SMS_EVENTS and settings.sms_gateway_url:
        phone = _identity(db, notice.customer_id, "phone", is_phone)
        if phone is not None:
            enqueue(
                db,
                clock,
                key=f"{notice.key}:sms",
                kind="sms",
                event=notice.event,
                recipient=phone,
                payload={"text": notice.text, "params": {"subject": notice.subject}},
            )


def _channel_recipient(db: Session, notice: CustomerNotice) -> str | None:
    """The identity to push to: the one on the conversation's account first.

    Email identities are plain addresses, not scoped to an account: they are
    prefixed with the conversation's mailbox account (the one the customer
    wrote to), and without one the email notifier is left to mail them.
    Queue positions change too often to be mailed.
    """
    channel = str(notice.channel)
    if channel in MAIL_CHANNELS:
        if notice.account_id is None or notice.event == "queue.position_changed":
            return None
        address = _identity(db, notice.customer_id, channel, is_email)
        return f"{notice.account_id}:{address}" if address is not None else None
    if notice.account_id is not None:
        prefix = f"{notice.account_id}:"
        scoped = _identity(db, notice.customer_id, channel, lambda value: value.startswith(prefix))
        if scoped is not None:
            return scoped
    return _identity(db, notice.customer_id, channel, lambda _: True)


def customer_notice(db: Session, event: DomainEvent) -> CustomerNotice | None:
    """The notice a customer gets for this event, or None when it is not theirs to see."""
    payload = event.payload
    if event.name == "message.created":
        return _reply_notice(db, payload)
    if event.name == "queue.position_changed":
        return _queue_notice(db, payload)
    if event.name in _TICKET_NOTICES:
        ticket = db.get(Ticket, str(payload.get("ticket_id", "")))
        if ticket is None:
            return None
        notice = _TICKET_NOTICES[event.name](db, ticket, event)
        # Ticket notices go out like replies: by the account the conversation runs on.
        conversation = (
            db.get(Conversation, ticket.conversation_id) if ticket.conversation_id else None
        )
        if conversation is not None and conversation.channel_account_id:
            notice = replace(notice, account_id=conversation.channel_account_id)
        return notice
    return None


def _reply_notice(db: Session, payload: dict[str, object]) -> CustomerNotice | None:
    message = payload.get("message")
    if not isinstance(message, dict) or message.get("visibility") != "public":
        return None
    if message.get("sender_type") not in ("agent", "bot"):
        return None
    conversation = db.get(Conversation, str(message.get("conversation_id")))
    if conversation is None:
        return None
    ticket = db.get(Ticket, str(message["ticket_id"])) if message.get("ticket_id") else None
    sender = str(message.get("sender_name") or "客服")
    return CustomerNotice(
        key=f"message:{message.get('id')}",
        event="message.created",
        customer_id=conversation.customer_id,
        channel=conversation.channel,
        account_id=conversation.channel_account_id,
        attachment_ids=tuple(str(i) for i in message.get("attachment_ids") or ()),
        subject=translate("notice.subject.reply", ticket=_ticket_suffix(ticket)),
        text=translate("notice.reply", sender=sender, body=str(message.get("body", ""))),
        # A live chat with the bot needs no mail for every line; agents' replies do.
        by_email=message.get("sender_type") == "agent",
    )


def _ticket_suffix(ticket: Ticket | None) -> str:
    return f"（工单 {ticket.number}）" if ticket is not None else ""


def _queue_notice(db: Session, payload: dict[str, object]) -> CustomerNotice | None:
    """Place in the queue: pushed to chat channels only (it changes too often for mail)."""
    position = payload.get("position")
    customer_id = payload.get("customer_id")
    if not isinstance(position, int) or not isinstance(customer_id, str):
        return None
    channel = payload.get("channel") or _channel_of(
        db, payload.get("conversation_id"), payload.get("ticket_id")
    )
    if channel not in db.info.get(PUSH_CHANNELS, frozenset()):
        # Only chat channels are told their place (the widget hears it on its WebSocket).
        return None
    text = payload.get("message")
    if not isinstance(text, str) or not text:
        minutes = payload.get("estimated_wait_minutes")
        text = translate(
            "notice.queue_position",
            position=position,
            minutes=minutes if isinstance(minutes, int | float) else "若干",
        )
    return CustomerNotice(
        key=f"queue:{payload.get('conversation_id') or payload.get('ticket_id')}:{new_id()}",
        event="queue.position_changed",
        customer_id=customer_id,
        channel=channel,
        subject=text,
        text=text,
        by_email=False,
    )


def _channel_of(db: Session, conversation_id: object, ticket_id: object) -> str | None:
    """The customer's channel, looked up without flushing: routing emits mid-change."""
    with db.no_autoflush:
        if isinstance(conversation_id, str) and conversation_id:
            conversation = db.get(Conversation, conversation_id)
            if conversation is not None:
                return conversation.channel
        if isinstance(ticket_id, str) and ticket_id:
            ticket = db.get(Ticket, ticket_id)
            if ticket is not None:
                return ticket.channel
    return None


def _ticket_notice(ticket: Ticket, event: str, key: str, label: str, text: str) -> CustomerNotice:
    channel = ticket.channel
    return CustomerNotice(
        key=f"ticket:{ticket.id}:{key}",
        event=event,
        customer_id=ticket.customer_id,
        channel=channel,
        subject=translate("notice.subject.ticket", number=ticket.number, label=label),
        text=text,
    )


def _created(db: Session, ticket: Ticket, event: DomainEvent) -> CustomerNotice:
    text = translate("notice.ticket_created", number=ticket.number, subject=ticket.subject)
    return _ticket_notice(ticket, event.name, "created", translate("notice.label.created"), text)


def _status_changed(db: Session, ticket: Ticket, event: DomainEvent) -> CustomerNotice:
    after = str(event.payload.get("after", ticket.status))
    label = STATUS_LABELS.get(after, (after, after))[0]
    text = translate("notice.status_changed", number=ticket.number, label=label)
    moment = ticket.updated_at.isoformat()
    return _ticket_notice(ticket, event.name, f"status:{after}:{moment}", label, text)


def _resolved(db: Session, ticket: Ticket, event: DomainEvent) -> CustomerNotice:
    label = STATUS_LABELS["resolved"][0]
    text = translate("notice.resolved", number=ticket.number, note=ticket.resolution_note or "")
    return _ticket_notice(ticket, event.name, f"resolved:{ticket.resolution_round}", label, text)


def _reopened(db: Session, ticket: Ticket, event: DomainEvent) -> CustomerNotice:
    text = translate("notice.reopened", number=ticket.number)
    moment = ticket.updated_at.isoformat()
    return _ticket_notice(
        ticket, event.name, f"reopened:{moment}", translate("notice.label.reopened"), text
    )


def _compensated(db: Session, ticket: Ticket, event: DomainEvent) -> CustomerNotice:
    amount = event.payload.get("amount")
    detail = f"（{amount} 元）" if amount is not None else ""
    text = translate("notice.compensated", number=ticket.number, detail=detail)
    # One compensation per ticket (issue 4, part 3), hence one notice.
    return _ticket_notice(
        ticket, event.name, "compensated", translate("notice.label.compensated"), text
    )


def _close_notice(db: Session, ticket: Ticket, event: DomainEvent) -> CustomerNotice:
    closes_at = event.payload.get("closes_at") or event.payload.get("close_at")
    when = _local_text(closes_at)
    text = translate("notice.close_notice", number=ticket.number, closes_at=when)
    return _ticket_notice(
        ticket,
        event.name,
        f"close_notice:{ticket.resolution_round}",
        translate("notice.label.close_notice"),
        text,
    )


def _eta_changed(db: Session, ticket: Ticket, event: DomainEvent) -> CustomerNotice:
    due = _local_text(event.payload.get("due_at"))
    text = translate("notice.eta_changed", number=ticket.number, due_at=due)
    return _ticket_notice(
        ticket, event.name, f"eta:{due}", translate("notice.label.eta_changed"), text
    )


_TICKET_NOTICES = {
    "ticket.created": _created,
    "ticket.eta_changed": _eta_changed,
    "ticket.status_changed": _status_changed,
    "ticket.resolved": _resolved,
    "ticket.reopened": _reopened,
    "sla.compensated": _compensated,
    "ticket.close_notice": _close_notice,
}


def _local_text(value: object) -> str:
    """A due time as the customer reads it: Beijing time to the minute."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
    else:
        return "稍后"
    if moment.tzinfo is None:
        return value if isinstance(value, str) else "稍后"
    return to_local(moment).strftime("%Y-%m-%d %H:%M")


def _identity(
    db: Session, customer_id: str, channel: str, valid: Callable[[str], bool]
) -> str | None:
    """The customer's id on a channel, verified ones first."""
    query = (
        select(Identity.external_id)
        .where(Identity.customer_id == customer_id, Identity.channel == channel)
        .order_by(Identity.verified.desc(), Identity.created_at)
    )
    for external_id in db.scalars(query):
        if valid(external_id):
            return external_id
    return None


def _clock(db: Session) -> Clock:
    return cast(Clock, session_context(db, "clock"))
