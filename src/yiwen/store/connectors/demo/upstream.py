"""Upstream pushes (上游推送): how a supplier takes an order and, later, answers.

A push's outcome and answer time are decided when it is sent, from the
supplier's latency and failure rate (or a forced outcome) and an RNG seeded by
the shop's seed, the order number and the attempt number, so the same run gives
the same answers. Nothing runs in the background: a processing push is settled
lazily by the first read or action at or after its answer time, exactly as if
the supplier's callback had arrived then.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yiwen.core.clock import to_local
from yiwen.core.ids import new_id
from yiwen.store.connectors.demo.cardkeys import make_secret, normalise_key
from yiwen.store.connectors.demo.models import (
    Product,
    ShopCardKey,
    ShopOrder,
    Supplier,
    UpstreamPushRow,
)
from yiwen.store.protocol import PushStatus

ForcedOutcome = Literal["succeeded", "failed", "slow"]
FORCED_OUTCOMES: tuple[ForcedOutcome, ...] = ("succeeded", "failed", "slow")

# Texts real suppliers send back when they cannot fulfil an order.
SUPPLIER_ERRORS = (
    "上游库存不足",
    "上游接口超时，请稍后重试",
    "充值账号不存在或已封禁",
    "商品维护中，暂停供货",
    "区服信息错误",
)
SUPERSEDED_ERROR = "已重新推送，本次推送作废"
CANCELLED_ERROR = "订单已退款，推送取消"
# A "slow" supplier answers after at least half an hour and 20x its usual latency, so
# the push is always stuck (see below) well before it answers.
SLOW_MINIMUM = timedelta(minutes=30)
# A push still processing after ten times its supplier's usual latency (and at
# least ten minutes) is stuck, and support may push again.
STUCK_MINIMUM = timedelta(minutes=10)


def is_stuck(push: UpstreamPushRow, supplier: Supplier, now: datetime) -> bool:
    waited = now - push.created_at
    return waited >= max(STUCK_MINIMUM, timedelta(seconds=supplier.latency_seconds * 10))


def decide_outcome(
    supplier: Supplier, rng: random.Random, now: datetime, forced: str | None
) -> tuple[PushStatus, datetime, str | None]:
    """(outcome, answer time, supplier error) for a push sent now."""
    latency = timedelta(seconds=supplier.latency_seconds * (0.5 + rng.random()))
    if forced == "slow":
        return "succeeded", now + max(SLOW_MINIMUM, latency * 40), None
    if forced == "failed" or (forced is None and rng.random() < supplier.failure_rate):
        return "failed", now + latency, rng.choice(SUPPLIER_ERRORS)
    return "succeeded", now + latency, None


def supplier_order_no(supplier_id: str, rng: random.Random, moment: datetime) -> str:
    return f"{supplier_id[:2].upper()}{to_local(moment):%Y%m%d%H%M%S}{rng.randrange(10**6):06d}"


def latest_push(session: Session, order_no: str) -> UpstreamPushRow | None:
    return session.scalars(
        select(UpstreamPushRow)
        .where(UpstreamPushRow.order_no == order_no)
        .order_by(UpstreamPushRow.attempt.desc())
        .limit(1)
    ).first()


def send_push(
    session: Session, order: ShopOrder, supplier: Supplier, *, seed: int, now: datetime
) -> UpstreamPushRow:
    """A new attempt for the order; unfinished earlier attempts are voided so one delivers."""
    for open_push in session.scalars(
        select(UpstreamPushRow).where(
            UpstreamPushRow.order_no == order.order_no,
            UpstreamPushRow.status.in_(("pending", "processing")),
        )
    ):
        close_push(open_push, error=SUPERSEDED_ERROR, now=now)
    previous = session.scalar(
        select(func.max(UpstreamPushRow.attempt)).where(UpstreamPushRow.order_no == order.order_no)
    )
    attempt = (previous or 0) + 1
    rng = random.Random(f"{seed}:{order.order_no}:{attempt}")
    forced = supplier.forced_outcome
    supplier.forced_outcome = None
    outcome, complete_at, error = decide_outcome(supplier, rng, now, forced)
    push = UpstreamPushRow(
        push_id=f"PU{new_id()[:20].upper()}",
        order_no=order.order_no,
        supplier_id=supplier.supplier_id,
        attempt=attempt,
        status="processing",
        error=None,
        supplier_order_no=supplier_order_no(supplier.supplier_id, rng, now),
        created_at=now,
        updated_at=now,
        complete_at=complete_at,
        outcome=outcome,
        outcome_error=error,
    )
    session.add(push)
    order.status = "delivering"
    return push


def close_push(push: UpstreamPushRow, *, error: str, now: datetime) -> None:
    """End an unfinished push without the supplier's answer (voided or cancelled)."""
    push.status = "failed"
    push.error = error
    push.updated_at = now
    push.complete_at = None
    push.outcome = None
    push.outcome_error = None


def settle_due_pushes(session: Session, now: datetime, *, seed: int) -> int:
    """Apply every supplier answer due by ``now``; returns how many pushes were settled.

    Orders are locked before their pushes, the same order actions lock them in,
    so settling never deadlocks against an action on PostgreSQL.
    """
    due = (UpstreamPushRow.status == "processing", UpstreamPushRow.complete_at <= now)
    order_nos = session.scalars(
        select(UpstreamPushRow.order_no).where(*due).distinct().order_by(UpstreamPushRow.order_no)
    ).all()
    settled = 0
    for order_no in order_nos:
        order = session.get_one(ShopOrder, order_no, with_for_update=True)
        for push in session.scalars(
            select(UpstreamPushRow)
            .where(UpstreamPushRow.order_no == order_no, *due)
            .order_by(UpstreamPushRow.complete_at)
            .with_for_update()
        ):
            _apply_answer(session, order, push, seed=seed)
            settled += 1
    return settled


def has_due_pushes(session: Session, now: datetime) -> bool:
    return (
        session.scalar(
            select(UpstreamPushRow.push_id)
            .where(UpstreamPushRow.status == "processing", UpstreamPushRow.complete_at <= now)
            .limit(1)
        )
        is not None
    )


def _apply_answer(session: Session, order: ShopOrder, push: UpstreamPushRow, *, seed: int) -> None:
    answered_at, outcome = push.complete_at, push.outcome
    assert answered_at is not None and outcome is not None  # set on every processing push
    push.status = outcome
    push.error = push.outcome_error
    push.updated_at = answered_at
    push.complete_at = None
    if push.status == "failed":
        if order.status == "delivering":
            order.status = "delivery_failed"
        return
    product = session.get_one(Product, order.product_id)
    if product.delivery_type == "card_key":
        rng = random.Random(f"{seed}:{push.push_id}")
        for _ in range(order.quantity):
            secret = make_secret(rng, product.key_pattern)
            session.add(
                ShopCardKey(
                    key_id=f"K{new_id()[:20].upper()}",
                    order_no=order.order_no,
                    product_id=product.product_id,
                    secret=secret,
                    lookup=normalise_key(secret),
                    state="unused",
                    region=product.region,
                    delivered_at=answered_at,
                    used_at=None,
                )
            )
    order.delivered_at = answered_at
    if order.status in ("paid", "delivering", "delivery_failed"):
        order.status = "delivered"
