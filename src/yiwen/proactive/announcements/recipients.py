"""Who a shop order belongs to in Yiwen, how to reach them, and whether they opted out.

An order names its buyer by shop account and contact (phone or email). The
customer is the one holding that identity in Yiwen; a buyer who never wrote
to support gets a customer record from the order's contact, so a notice can
still reach them (by email) and is counted once like any other.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from yiwen.auth.audit import Actor, record_audit
from yiwen.conversations.models import Conversation
from yiwen.core.clock import Clock
from yiwen.core.errors import InvalidInput
from yiwen.customers.models import Customer, Identity
from yiwen.customers.service import (
    find_by_identity,
    find_or_create_customer,
    link_identity,
    normalise_contact,
)
from yiwen.proactive.announcements.models import NoticeOptOut
from yiwen.store.protocol import Order

OPT_OUT_WORDS = frozenset({"退订", "TD", "td", "退订通知", "取消通知", "不要再发了"})
OPT_IN_WORDS = frozenset({"订阅", "恢复通知", "订阅通知"})


def customer_for_order(db: Session, clock: Clock, order: Order) -> Customer | None:
    """The order's buyer as a Yiwen customer (created from its contact when unknown)."""
    if order.shop_user_id:
        known = find_by_identity(db, "shop", order.shop_user_id)
        if known is not None:
            return known
    contact = _contact(order.contact)
    if contact is not None:
        known = find_by_identity(db, *contact)
        if known is not None:
            return known
    if order.shop_user_id:
        # The shop vouches for its own account id; the widget signs in with it (shop token).
        identity, verified = ("shop", order.shop_user_id), True
    elif contact is not None:
        identity, verified = contact, False
    else:
        return None
    try:
        with db.begin_nested():
            customer = find_or_create_customer(
                db, clock, channel=identity[0], external_id=identity[1], verified=verified
            )
            if contact is not None and contact != identity:
                link_identity(db, clock, customer, channel=contact[0], external_id=contact[1])
            return customer
    except IntegrityError:
        # A concurrent notice run created the same customer first.
        return find_by_identity(db, *identity)


def _contact(contact: str | None) -> tuple[str, str] | None:
    if not contact:
        return None
    try:
        return normalise_contact(contact)
    except InvalidInput:
        return None


def latest_conversation(db: Session, customer_id: str) -> Conversation | None:
    """The newest conversation still live (an archived one takes no message: yiwen.retention)."""
    return db.scalar(
        select(Conversation)
        .where(Conversation.customer_id == customer_id, Conversation.archived_at.is_(None))
        .order_by(Conversation.last_message_at.desc(), Conversation.id.desc())
        .limit(1)
    )


def email_of(db: Session, customer_id: str) -> str | None:
    return db.scalar(
        select(Identity.external_id)
        .where(Identity.customer_id == customer_id, Identity.channel == "email")
        .limit(1)
    )


def is_opted_out(db: Session, customer_id: str) -> bool:
    return db.get(NoticeOptOut, customer_id) is not None


def set_opt_out(
    db: Session, clock: Clock, customer_id: str, *, opted_out: bool, source: str, actor: Actor
) -> bool:
    """Record the customer's choice; returns whether it changed anything (audited if so)."""
    row = db.get(NoticeOptOut, customer_id)
    if opted_out == (row is not None):
        return False
    if row is not None:
        db.delete(row)
    else:
        try:
            with db.begin_nested():
                db.add(NoticeOptOut(customer_id=customer_id, source=source, created_at=clock.now()))
                db.flush()
        except IntegrityError:
            return False  # the same choice, made concurrently
    db.flush()
    record_audit(
        db,
        clock,
        actor=actor,
        action="customer.notice_opt_out" if opted_out else "customer.notice_opt_in",
        target_type="customer",
        target_id=customer_id,
        after={"opted_out": opted_out, "source": source},
    )
    return True
