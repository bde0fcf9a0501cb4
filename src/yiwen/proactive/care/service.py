"""Proactive care: a paid order not delivered in its product's normal time gets a message.

The worker scans the shop's open orders; each one past its normal delivery
time (a setting per kind of goods, overridable per product) is taken once
(:class:`CareContact`, keyed by order number): a new conversation with the
bot, the bot's message naming the order, and a bot session that already knows
the order and the goal, so whatever the customer answers follows the delivery
SOP. A frequent buyer's case also goes to the human queue at urgent priority.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from yiwen.auth.audit import Actor
from yiwen.bot.dialogue import load_session
from yiwen.bot.replies import BOT_NAME, local_time
from yiwen.conversations.models import Conversation
from yiwen.conversations.service import post_staff_message, start_conversation
from yiwen.core.clock import Clock
from yiwen.core.db import session_context
from yiwen.core.i18n import register_messages, translate
from yiwen.core.settings import Settings
from yiwen.customers.models import Customer
from yiwen.notify.rules import PUSH_CHANNELS, CustomerNotice, queue_customer_notice
from yiwen.proactive.announcements.recipients import (
    customer_for_order,
    email_of,
    is_opted_out,
    latest_conversation,
)
from yiwen.proactive.care.feed import open_order_feed
from yiwen.proactive.care.models import CareContact
from yiwen.routing.waiting import enqueue_work
from yiwen.store.protocol import Order, StoreConnector
from yiwen.tickets import service as tickets
from yiwen.tickets.models import Ticket

register_messages(
    {
        "care.stuck": (
            "您好，您 {paid_at} 购买的「{product}」（订单 {order_no}）已付款 {minutes} 分钟，"
            "还没有到账，我们已经在跟进。需要我现在帮您查看并处理吗？回复“是”即可，"
            "到账后也会第一时间通知您。",
            "Hello, your order {order_no} ({product}) was paid {minutes} minutes ago and has "
            "not arrived yet; we are on it. Reply 是 and I will check and fix it now.",
        ),
        "care.priority": (
            "您是我们的老顾客，已为您安排人工客服优先跟进。",
            "As a regular customer, an agent will follow this up first.",
        ),
        "care.subject": ("订单 {order_no} 到账提醒", "Your order {order_no}"),
    }
)

RECENT = timedelta(days=90)
SCAN_LIMIT = 200
# Conversations still being worked count as "the customer already asked".
LIVE_STATUSES = ("bot", "waiting", "open")


def normal_delivery_time(settings: Settings, order: Order) -> timedelta:
    """How long delivery of this order's goods normally takes (product first, then kind)."""
    item = order.items[0] if order.items else None
    minutes = None
    if item is not None:
        minutes = settings.proactive_care_product_minutes.get(item.product_id)
        if minutes is None:
            minutes = settings.proactive_care_normal_minutes.get(item.delivery_type)
    if minutes is None:
        minutes = max(settings.proactive_care_normal_minutes.values(), default=30.0)
    return timedelta(minutes=minutes)


def run_proactive_care(db: Session, clock: Clock, store: StoreConnector) -> int:
    """The worker's job: message the buyers of stuck orders; returns how many were taken."""
    settings = cast(Settings, session_context(db, "settings"))
    feed = open_order_feed(store)
    if feed is None:
        return 0
    now = clock.now()
    minutes = settings.proactive_care_normal_minutes | settings.proactive_care_product_minutes
    shortest = min(minutes.values(), default=30.0)
    orders = feed.find_open_orders(
        paid_since=now - timedelta(hours=settings.proactive_care_lookback_hours),
        paid_before=now - timedelta(minutes=shortest),
        limit=SCAN_LIMIT,
    )
    seen = set(
        db.scalars(
            select(CareContact.order_no).where(
                CareContact.order_no.in_([o.order_no for o in orders])
            )
        )
    )
    taken = 0
    for order in orders:
        if order.order_no in seen or order.paid_at is None:
            continue
        if now - order.paid_at < normal_delivery_time(settings, order):
            continue
        if care_for_order(db, clock, settings, store, order) is not None:
            taken += 1
    return taken


def care_for_order(
    db: Session, clock: Clock, settings: Settings, store: StoreConnector, order: Order
) -> CareContact | None:
    """Take one stuck order once; None when its buyer is unknown or it was taken already."""
    customer = customer_for_order(db, clock, order)
    if customer is None:
        return None
    recent = _recent_order_count(store, order, clock.now())
    contact = CareContact(
        order_no=order.order_no,
        customer_id=customer.id,
        product_id=order.items[0].product_id if order.items else None,
        recent_orders=recent,
        frequent_buyer=recent >= settings.proactive_frequent_buyer_orders,
        status="sent",
        paid_at=order.paid_at,
        created_at=clock.now(),
    )
    try:
        with db.begin_nested():
            db.add(contact)
            db.flush()
    except IntegrityError:
        return None
    if is_opted_out(db, customer.id):
        contact.status = "opted_out"
        return contact
    if _already_asking(db, customer.id, order.paid_at):
        contact.status = "already_asking"
        return contact
    _open_care_conversation(db, clock, settings, customer, order, contact)
    return contact


def _recent_order_count(store: StoreConnector, order: Order, now: datetime) -> int:
    since = now - RECENT
    found: set[str] = set()
    if order.shop_user_id:
        found |= {
            o.order_no for o in store.find_orders(shop_user_id=order.shop_user_id, since=since)
        }
    if order.contact:
        found |= {o.order_no for o in store.find_orders(contact=order.contact, since=since)}
    return len(found)


def _already_asking(db: Session, customer_id: str, paid_at: datetime | None) -> bool:
    if paid_at is None:
        return False
    return (
        db.scalar(
            select(Conversation.id)
            .where(
                Conversation.customer_id == customer_id,
                Conversation.status.in_(LIVE_STATUSES),
                Conversation.last_message_at >= paid_at,
            )
            .limit(1)
        )
        is not None
    )


def _open_care_conversation(
    db: Session,
    clock: Clock,
    settings: Settings,
    customer: Customer,
    order: Order,
    contact: CareContact,
) -> None:
    previous = latest_conversation(db, customer.id)
    channel = previous.channel if previous is not None else _channel_without_history(db, customer)
    conversation, _token = start_conversation(db, clock, customer, channel=channel)
    conversation.channel_account_id = previous.channel_account_id if previous else None
    conversation.status = "bot"
    contact.conversation_id = conversation.id
    session = load_session(db, conversation, clock.now())
    session.goal = "delivery_missing"
    session.pending = "confirm_order"
    session.facts = {
        "proposed_order": order.order_no,
        "proactive_care": True,
    }
    minutes = int((clock.now() - (order.paid_at or clock.now())).total_seconds() // 60)
    text = translate(
        "care.stuck",
        paid_at=local_time(order.paid_at),
        product=order.items[0].product_name if order.items else "商品",
        order_no=order.order_no,
        minutes=minutes,
    )
    if contact.frequent_buyer:
        text = f"{text}{translate('care.priority')}"
        ticket = _priority_ticket(db, clock, settings, customer, conversation, order, contact)
        session.ticket_id = ticket.id
        contact.ticket_id = ticket.id
    post_staff_message(
        db,
        clock,
        conversation,
        sender_type="bot",
        sender_id=None,
        sender_name=BOT_NAME,
        body=text,
        max_chars=max(settings.message_max_chars, len(text)),
    )
    if conversation.channel not in db.info.get(PUSH_CHANNELS, frozenset()):
        # The bot's line reaches chat channels by itself; a widget customer hears it by mail.
        queue_customer_notice(
            db,
            CustomerNotice(
                key=f"care:{order.order_no}",
                event="care.stuck_order",
                customer_id=customer.id,
                channel=None,
                subject=translate("care.subject", order_no=order.order_no),
                text=text,
            ),
        )


def _channel_without_history(db: Session, customer: Customer) -> str:
    return "email" if email_of(db, customer.id) is not None else "web"


def _priority_ticket(
    db: Session,
    clock: Clock,
    settings: Settings,
    customer: Customer,
    conversation: Conversation,
    order: Order,
    contact: CareContact,
) -> Ticket:
    ticket = tickets.open_ticket(
        db,
        clock,
        tickets.NewTicket(
            customer_id=customer.id,
            channel=conversation.channel,
            category="delivery_missing",
            subject=f"老顾客订单未到账：{order.order_no}",
            description="主动关怀：订单已超过正常到账时间",
            conversation_id=conversation.id,
            priority="urgent",
            key_info={
                "source": "proactive_care",
                "order_no": order.order_no,
                "frequent_buyer": True,
                "recent_orders": contact.recent_orders,
            },
            order_nos=[order.order_no],
        ),
        actor=Actor.system(),
        prefix=settings.ticket_number_prefix,
    )
    # The bot talks meanwhile; a person is already on the way for a regular customer.
    enqueue_work(
        db,
        clock,
        customer_id=customer.id,
        conversation=conversation,
        ticket=ticket,
        reason="proactive_care",
    )
    return ticket
