"""Telling affected customers (once each), and fixing their orders when it is over.

Both are idempotent so that the console's button, a second click, a retry and
the worker's job can all run them: a customer is told only when their notice
row is inserted (unique per announcement and customer), and an order is acted
on only when its row is (unique per announcement and order); the shop's own
idempotency key makes a re-push that ran before a crash replay, not repeat.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from yiwen.auth.audit import Actor, record_audit
from yiwen.conversations.models import Conversation
from yiwen.conversations.service import post_staff_message
from yiwen.core.clock import Clock
from yiwen.core.db import session_context
from yiwen.core.errors import Conflict, NotFound
from yiwen.core.i18n import translate
from yiwen.core.settings import Settings
from yiwen.customers.models import Customer
from yiwen.notify.rules import PUSH_CHANNELS, CustomerNotice, queue_customer_notice
from yiwen.proactive.announcements.models import (
    Announcement,
    AnnouncementNotice,
    AnnouncementOrder,
)
from yiwen.proactive.announcements.recipients import (
    customer_for_order,
    email_of,
    is_opted_out,
    latest_conversation,
)
from yiwen.proactive.care.feed import UNDELIVERED, open_order_feed
from yiwen.proactive.incidents.service import affected_orders as incident_affected_orders
from yiwen.store.protocol import (
    ActionNotSupported,
    Order,
    OrderNotFound,
    StoreActionRefused,
    StoreConnector,
    capabilities_of,
)
from yiwen.tickets import service as tickets

log = logging.getLogger("yiwen.proactive.announcements")

# Orders paid longer ago than this are not "affected" by a fresh outage.
AFFECTED_WINDOW = timedelta(days=3)
MAX_AFFECTED = 2000
NOTICE_SENDER = "一问公告"
SHOWN_ORDERS = 3


def affected_orders(
    db: Session, clock: Clock, store: StoreConnector, announcement: Announcement
) -> list[Order]:
    """The paid, undelivered orders the announcement is about, each once.

    Orders named by hand, those of the incident it came from, and (for a scope)
    the shop's open orders of that supplier, product or kind of goods.
    """
    named = list(announcement.order_nos or []) + _incident_orders(db, announcement.incident_id)
    found: dict[str, Order] = {}
    for order_no in dict.fromkeys(named):
        try:
            order = store.get_order(order_no)
        except OrderNotFound:
            continue
        if order.status in UNDELIVERED:
            found[order.order_no] = order
    feed = open_order_feed(store)
    if feed is None:
        if not named:
            raise Conflict("announcement_orders_unavailable")
        return list(found.values())
    scope, value = announcement.scope, announcement.scope_value
    for order in feed.find_open_orders(
        paid_since=clock.now() - AFFECTED_WINDOW,
        supplier=value if scope == "supplier" else None,
        product_id=value if scope == "product" else None,
        delivery_type=value if scope == "category" else None,
        limit=MAX_AFFECTED,
    ):
        found.setdefault(order.order_no, order)
    return list(found.values())


def _incident_orders(db: Session, incident_id: str | None) -> list[str]:
    """Orders the incident the announcement came from names, still undelivered."""
    if not incident_id:
        return []
    try:
        found = incident_affected_orders(db, incident_id)
    except NotFound:
        return []  # a stale incident id: the scope and the named orders still apply
    return [item.order_no for item in found]


def send_notices(
    db: Session, clock: Clock, store: StoreConnector, announcement: Announcement
) -> int:
    """Tell every affected customer not told yet; returns how many rows this run wrote."""
    if announcement.status != "active":
        raise Conflict("announcement_closed")
    by_customer: dict[str, list[str]] = defaultdict(list)
    customers: dict[str, Customer] = {}
    for order in affected_orders(db, clock, store, announcement):
        customer = customer_for_order(db, clock, order)
        if customer is not None:
            customers[customer.id] = customer
            by_customer[customer.id].append(order.order_no)
    told = {
        row
        for row in db.scalars(
            select(AnnouncementNotice.customer_id).where(
                AnnouncementNotice.announcement_id == announcement.id
            )
        )
    }
    written = 0
    # A fixed order (by customer id), so two concurrent runs never wait on each other crosswise.
    for customer_id in sorted(by_customer):
        if customer_id in told:
            continue
        if _notify_one(db, clock, announcement, customers[customer_id], by_customer[customer_id]):
            written += 1
    now = clock.now()
    announcement.notices_done_at = now
    announcement.updated_at = now
    if announcement.work_due == "notify":
        announcement.work_due = None
    return written


def _notify_one(
    db: Session,
    clock: Clock,
    announcement: Announcement,
    customer: Customer,
    order_nos: list[str],
) -> bool:
    order_nos = sorted(order_nos)
    conversation = latest_conversation(db, customer.id)
    opted_out = is_opted_out(db, customer.id)
    reachable = conversation is not None or _mailable(db, customer.id)
    status = "skipped_opt_out" if opted_out else ("sent" if reachable else "unreachable")
    notice = AnnouncementNotice(
        announcement_id=announcement.id,
        customer_id=customer.id,
        order_nos=order_nos,
        status=status,
        channel=conversation.channel if conversation is not None else None,
        conversation_id=conversation.id if conversation is not None else None,
        created_at=clock.now(),
    )
    try:
        with db.begin_nested():
            db.add(notice)
            db.flush()
    except IntegrityError:
        return False  # another run told this customer first
    if status != "sent":
        return True
    text = translate(
        "announcement.notice",
        title=announcement.title,
        body=announcement.body,
        orders=_orders_text(order_nos),
    )
    subject = translate("announcement.notice.subject", title=announcement.title)
    _tell(
        db,
        clock,
        customer,
        conversation,
        f"announcement:{announcement.id}:{customer.id}",
        subject,
        text,
    )
    return True


def _tell(
    db: Session,
    clock: Clock,
    customer: Customer,
    conversation: Conversation | None,
    key: str,
    subject: str,
    text: str,
) -> None:
    """On the conversation's timeline, and out on its channel (or by email) through the outbox."""
    settings = session_context(db, "settings")
    assert isinstance(settings, Settings)
    if conversation is not None:
        post_staff_message(
            db,
            clock,
            conversation,
            sender_type="system",
            sender_id=None,
            sender_name=NOTICE_SENDER,
            body=text,
            max_chars=max(settings.message_max_chars, len(text)),
        )
    pushed = conversation is not None and conversation.channel in db.info.get(
        PUSH_CHANNELS, frozenset()
    )
    queue_customer_notice(
        db,
        CustomerNotice(
            key=key,
            event="announcement.notice",
            customer_id=customer.id,
            channel=conversation.channel if conversation is not None else None,
            account_id=conversation.channel_account_id if conversation is not None else None,
            subject=subject,
            text=text,
            # A widget conversation cannot be pushed to: the customer hears it by mail.
            by_email=not pushed,
        ),
    )


def _mailable(db: Session, customer_id: str) -> bool:
    settings = session_context(db, "settings")
    return bool(getattr(settings, "smtp_host", "")) and email_of(db, customer_id) is not None


def _orders_text(order_nos: list[str]) -> str:
    shown = "、".join(order_nos[:SHOWN_ORDERS])
    extra = len(order_nos) - SHOWN_ORDERS
    return f"{shown} 等 {len(order_nos)} 笔" if extra > 0 else shown


def finish_close(
    db: Session, clock: Clock, store: StoreConnector, announcement: Announcement, *, prefix: str
) -> None:
    """Re-push (or queue for review) every affected order, then tell each told customer."""
    notices = list(
        db.scalars(
            select(AnnouncementNotice)
            .where(AnnouncementNotice.announcement_id == announcement.id)
            .order_by(AnnouncementNotice.customer_id)
        )
    )
    order_owner = {o: n.customer_id for n in notices for o in (n.order_nos or [])}
    order_nos = sorted(set(order_owner) | set(announcement.order_nos or []))
    done = set(
        db.scalars(
            select(AnnouncementOrder.order_no).where(
                AnnouncementOrder.announcement_id == announcement.id
            )
        )
    )
    for order_no in order_nos:
        if order_no not in done:
            _fix_order(db, clock, store, announcement, order_no, order_owner.get(order_no), prefix)
    for notice in notices:
        if notice.status == "sent" and notice.resolved_status is None:
            _tell_fixed(db, clock, announcement, notice)
        elif notice.resolved_status is None:
            notice.resolved_status = notice.status
            notice.resolved_at = clock.now()
    now = clock.now()
    announcement.close_done_at = now
    announcement.updated_at = now
    announcement.work_due = None


def _fix_order(
    db: Session,
    clock: Clock,
    store: StoreConnector,
    announcement: Announcement,
    order_no: str,
    customer_id: str | None,
    prefix: str,
) -> None:
    row = AnnouncementOrder(
        announcement_id=announcement.id,
        order_no=order_no,
        action="review",
        detail="",
        created_at=clock.now(),
    )
    try:
        with db.begin_nested():
            db.add(row)
            db.flush()
    except IntegrityError:
        return
    try:
        order = store.get_order(order_no)
    except OrderNotFound:
        row.detail = "order_not_found"
        return
    if order.status not in UNDELIVERED:
        row.action = "delivered"
        row.detail = order.status
        return
    if "repush_upstream" in capabilities_of(store):
        try:
            result = store.repush_upstream(
                order_no, idempotency_key=f"announcement:{announcement.id}:repush:{order_no}"
            )
        except ActionNotSupported as refused:
            row.detail = refused.task
        except StoreActionRefused as refused:
            row.detail = refused.code
        else:
            row.action = "repushed"
            row.reference = result.reference
            record_audit(
                db,
                clock,
                actor=Actor.system(),
                action="order.repush",
                target_type="order",
                target_id=order_no,
                after={
                    "reference": result.reference,
                    "announcement_id": announcement.id,
                    "replayed": result.replayed,
                },
            )
            return
    if customer_id is None:
        customer = customer_for_order(db, clock, order)
        customer_id = customer.id if customer is not None else None
    if customer_id is None:
        return
    ticket = tickets.open_ticket(
        db,
        clock,
        tickets.NewTicket(
            customer_id=customer_id,
            channel="api",
            category="delivery_missing",
            subject=translate("announcement.review_subject", order_no=order_no),
            description=f"{announcement.title}\n{announcement.body}\n{row.detail}".strip(),
            priority="high",
            key_info={"announcement_id": announcement.id, "order_no": order_no},
            order_nos=[order_no],
        ),
        actor=Actor.system(),
        prefix=prefix,
    )
    row.ticket_id = ticket.id


def _tell_fixed(
    db: Session, clock: Clock, announcement: Announcement, notice: AnnouncementNotice
) -> None:
    customer = db.get_one(Customer, notice.customer_id)
    notice.resolved_at = clock.now()
    if is_opted_out(db, customer.id):
        notice.resolved_status = "skipped_opt_out"
        return
    notice.resolved_status = "sent"
    noticed = db.get(Conversation, notice.conversation_id) if notice.conversation_id else None
    if noticed is not None and noticed.archived_at is not None:
        noticed = None  # archived since (yiwen.retention): it takes no message
    conversation = noticed or latest_conversation(db, customer.id)
    resolution = announcement.resolution_text
    text = translate(
        "announcement.fixed",
        title=announcement.title,
        resolution=f"{resolution} " if resolution else "",
        orders=_orders_text(sorted(notice.order_nos or [])),
    )
    subject = translate("announcement.fixed.subject", title=announcement.title)
    key = f"announcement:{announcement.id}:{customer.id}:fixed"
    _tell(db, clock, customer, conversation, key, subject, text)


def run_announcement_work(db: Session, clock: Clock, store: StoreConnector) -> int:
    """The worker's job: notices asked for and closes not yet finished (after a crash too)."""
    settings = session_context(db, "settings")
    assert isinstance(settings, Settings)
    due = list(
        db.scalars(
            select(Announcement)
            .where(Announcement.work_due.is_not(None))
            .order_by(Announcement.updated_at)
            .limit(10)
        )
    )
    for announcement in due:
        if announcement.work_due == "notify" and announcement.status == "active":
            try:
                send_notices(db, clock, store, announcement)
            except Conflict:
                # No way to find its orders (the connector cannot list them): nothing to retry.
                log.warning("announcement %s: affected orders unknown", announcement.id)
                announcement.work_due = None
        elif announcement.work_due == "close":
            finish_close(db, clock, store, announcement, prefix=settings.ticket_number_prefix)
        else:
            announcement.work_due = None
    return len(due)
