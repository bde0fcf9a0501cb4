"""The demo shop's rules for what support may do to an order or an account.

Each function runs inside the caller's transaction (see ``DemoShop.perform``,
which adds idempotency), validates everything before writing, and raises the
protocol's domain errors, so a refused action leaves nothing half-written.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yiwen.core.clock import to_local
from yiwen.core.errors import InvalidInput, NotFound
from yiwen.core.ids import new_id
from yiwen.core.money import CENT
from yiwen.store.connectors.demo.cardkeys import make_secret, normalise_key
from yiwen.store.connectors.demo.models import (
    ZERO,
    Product,
    ShopAccount,
    ShopCardKey,
    ShopCoupon,
    ShopOrder,
    ShopPayment,
    ShopRefund,
    Supplier,
    UpstreamPushRow,
)
from yiwen.store.connectors.demo.upstream import (
    CANCELLED_ERROR,
    close_push,
    is_stuck,
    latest_push,
    send_push,
)
from yiwen.store.protocol import AccountNotFound, ActionResult, OrderNotFound, StoreActionRefused

COUPON_VALIDITY = timedelta(days=30)
# Payments whose money the shop received at some point (refunded ones included).
CAPTURED = ("paid", "partially_refunded", "refunded")
# Orders in these states are closed: no more deliveries to push.
CLOSED = ("pending_payment", "cancelled", "refunded")


def check_amount(amount: Decimal) -> Decimal:
    """Positive yuan with at most two decimals; anything else is a caller's mistake."""
    if not isinstance(amount, Decimal) or not amount.is_finite() or amount <= 0:
        raise InvalidInput("invalid_amount")
    if amount != amount.quantize(CENT):
        raise InvalidInput("invalid_amount")
    return amount.quantize(CENT)


def check_reason(reason: str) -> str:
    if not reason.strip():
        raise InvalidInput("action_reason_required")
    return reason.strip()


def lock_order(session: Session, order_no: str) -> ShopOrder:
    order = session.get(ShopOrder, order_no, with_for_update=True)
    if order is None:
        raise OrderNotFound(order_no)
    return order


def lock_account(session: Session, shop_user_id: str) -> ShopAccount:
    account = session.get(ShopAccount, shop_user_id, with_for_update=True)
    if account is None:
        raise AccountNotFound(shop_user_id)
    return account


def resend_delivery(session: Session, order_no: str) -> ActionResult:
    """Send the order's delivered card keys again (to the contact), counting every resend."""
    order = lock_order(session, order_no)
    product = session.get_one(Product, order.product_id)
    keys = session.scalars(
        select(ShopCardKey).where(ShopCardKey.order_no == order_no, ShopCardKey.state != "invalid")
    ).all()
    if product.delivery_type != "card_key" or order.delivered_at is None or not keys:
        raise StoreActionRefused("nothing_to_resend", order_no=order_no)
    order.resend_count += 1
    return ActionResult(
        action="resend_delivery",
        order_no=order_no,
        reference=f"{order_no}-R{order.resend_count}",
        status="done",
        detail={"key_count": str(len(keys)), "resend_count": str(order.resend_count)},
    )


def replace_card_key(
    session: Session, order_no: str, key_id: str, *, reason: str, now: datetime
) -> ActionResult:
    """Void a delivered key and deliver a fresh one of the same product in its place."""
    reason = check_reason(reason)
    order = lock_order(session, order_no)
    old = session.get(ShopCardKey, key_id, with_for_update=True)
    if old is None or old.order_no != order.order_no:
        raise NotFound("card_key_not_found", order_no=order_no)
    if old.state == "invalid":
        raise StoreActionRefused("card_key_already_replaced", order_no=order_no)
    product = session.get_one(Product, order.product_id)
    secret = make_secret(random.Random(f"replace:{key_id}:{now.isoformat()}"), product.key_pattern)
    fresh = ShopCardKey(
        key_id=f"K{new_id()[:20].upper()}",
        order_no=order.order_no,
        product_id=product.product_id,
        secret=secret,
        lookup=normalise_key(secret),
        state="unused",
        region=product.region,
        delivered_at=now,
        used_at=None,
    )
    old.state = "invalid"
    session.add(fresh)
    return ActionResult(
        action="replace_card_key",
        order_no=order.order_no,
        reference=fresh.key_id,
        status="done",
        detail={"key_id": fresh.key_id, "replaced_key_id": key_id},
    )


def repush_upstream(session: Session, order_no: str, *, seed: int, now: datetime) -> ActionResult:
    """Push a paid, undelivered order to its supplier again after a failed or stuck attempt."""
    order = lock_order(session, order_no)
    if order.supplier_id is None or order.delivered_at is not None or order.status in CLOSED:
        raise StoreActionRefused("push_not_applicable", order_no=order_no)
    supplier = session.get_one(Supplier, order.supplier_id, with_for_update=True)
    previous = latest_push(session, order_no)
    if (
        previous is not None
        and previous.status == "processing"
        and not is_stuck(previous, supplier, now)
    ):
        raise StoreActionRefused("delivery_in_progress", order_no=order_no)
    push = send_push(session, order, supplier, seed=seed, now=now)
    return ActionResult(
        action="repush_upstream",
        order_no=order_no,
        reference=push.push_id,
        status="processing",
        detail={"attempt": str(push.attempt), "supplier": supplier.name},
    )


def refund(
    session: Session, order_no: str, amount: Decimal | None, *, reason: str, now: datetime
) -> ActionResult:
    """Return money to the payer, duplicate charges first, then the order itself.

    A duplicate charge was never part of the price, so refunding it leaves the
    order's ``refunded_amount`` and status alone; refunds of the order's own
    payment move the order to partially_refunded or refunded. A full refund voids
    the keys the customer has not used and cancels a push never sent. Balance
    payments go back to the shop balance at once.
    """
    wanted = None if amount is None else check_amount(amount)
    reason = check_reason(reason)
    order = lock_order(session, order_no)
    payments = session.scalars(
        select(ShopPayment)
        .where(ShopPayment.order_no == order_no, ShopPayment.status.in_(CAPTURED))
        .order_by(ShopPayment.duplicate.desc(), ShopPayment.created_at)
        .with_for_update()
    ).all()
    if not payments:
        raise StoreActionRefused("order_not_paid", order_no=order_no)
    push = latest_push(session, order_no)
    if push is not None and push.status == "processing":
        raise StoreActionRefused("delivery_in_progress", order_no=order_no)
    available = {p.payment_id: p.amount - _committed(session, p.payment_id) for p in payments}
    refundable = sum(available.values(), ZERO)
    if refundable <= 0:
        raise StoreActionRefused("nothing_to_refund", order_no=order_no)
    if wanted is not None and wanted > refundable:
        raise StoreActionRefused(
            "refund_exceeds_refundable", amount=str(wanted), refundable=str(refundable)
        )
    total = refundable if wanted is None else wanted
    refund_no = f"RF{to_local(now):%Y%m%d%H%M%S}{new_id()[:6].upper()}"
    remaining = total
    for payment in payments:
        part = min(remaining, available[payment.payment_id])
        if part <= 0:
            continue
        remaining -= part
        _refund_payment(session, order, payment, part, refund_no=refund_no, reason=reason, now=now)
    if order.refunded_amount >= order.amount:
        order.status = "refunded"
        _void_after_full_refund(session, order_no, now)
    elif order.refunded_amount > 0:
        order.status = "partially_refunded"
    return ActionResult(
        action="refund",
        order_no=order_no,
        reference=refund_no,
        status="done",
        amount=total,
        detail={"refundable_after": str(refundable - total)},
    )


def _committed(session: Session, payment_id: str) -> Decimal:
    """Refunds already promised against a payment, paid out or still processing."""
    promised = session.scalar(
        select(func.coalesce(func.sum(ShopRefund.amount), 0)).where(
            ShopRefund.payment_id == payment_id
        )
    )
    return Decimal(str(promised)).quantize(CENT)


def _refund_payment(
    session: Session,
    order: ShopOrder,
    payment: ShopPayment,
    part: Decimal,
    *,
    refund_no: str,
    reason: str,
    now: datetime,
) -> None:
    session.add(
        ShopRefund(
            refund_id=f"{refund_no}-{payment.payment_id}",
            refund_no=refund_no,
            order_no=order.order_no,
            payment_id=payment.payment_id,
            amount=part,
            reason=reason,
            status="succeeded",
            created_at=now,
            completed_at=now,
        )
    )
    payment.refunded_amount += part
    payment.status = (
        "refunded" if payment.refunded_amount >= payment.amount else "partially_refunded"
    )
    if not payment.duplicate:
        order.refunded_amount += part
    if payment.method == "balance" and order.shop_user_id is not None:
        lock_account(session, order.shop_user_id).balance += part


def _void_after_full_refund(session: Session, order_no: str, now: datetime) -> None:
    for key in session.scalars(
        select(ShopCardKey).where(ShopCardKey.order_no == order_no, ShopCardKey.state == "unused")
    ):
        key.state = "invalid"
    for push in session.scalars(
        select(UpstreamPushRow).where(
            UpstreamPushRow.order_no == order_no, UpstreamPushRow.status == "pending"
        )
    ):
        close_push(push, error=CANCELLED_ERROR, now=now)


def issue_coupon(
    session: Session,
    *,
    shop_user_id: str | None,
    contact: str | None,
    amount: Decimal,
    reason: str,
    now: datetime,
) -> ActionResult:
    """A coupon (compensation) for a shop user, or for a guest identified by contact."""
    value = check_amount(amount)
    reason = check_reason(reason)
    contact = contact.strip().lower() if contact and contact.strip() else None
    if shop_user_id is None and contact is None:
        raise InvalidInput("coupon_needs_recipient")
    if shop_user_id is not None:
        lock_account(session, shop_user_id)
    code = f"CP{new_id()[:10].upper()}"
    expires_at = now + COUPON_VALIDITY
    session.add(
        ShopCoupon(
            code=code,
            shop_user_id=shop_user_id,
            contact=contact,
            amount=value,
            reason=reason,
            created_at=now,
            expires_at=expires_at,
        )
    )
    return ActionResult(
        action="issue_coupon",
        order_no=None,
        reference=code,
        status="done",
        amount=value,
        detail={"expires_at": expires_at.isoformat()},
    )


def set_frozen(session: Session, shop_user_id: str, *, frozen: bool, reason: str) -> ActionResult:
    """Freeze or unfreeze; asking for the state the account is already in is a quiet success."""
    reason = check_reason(reason)
    account = lock_account(session, shop_user_id)
    changed = account.frozen != frozen
    account.frozen = frozen
    account.frozen_reason = reason if frozen else None
    return ActionResult(
        action="freeze_account" if frozen else "unfreeze_account",
        order_no=None,
        reference=shop_user_id,
        status="done",
        detail={"changed": "true" if changed else "false"},
    )
