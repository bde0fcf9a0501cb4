"""Rows of one generated order in a given case: the order, its payments, keys, pushes, refunds.

Timestamps follow the order's life (created, paid a minute later, pushed, answered
after the supplier's latency…) and never pass ``now``; cases that only make sense
while fresh (a supplier still processing, a missing payment callback) are placed
in the last minutes, hours or days.
"""

from __future__ import annotations

import random
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from yiwen.core.clock import to_local
from yiwen.store.connectors.demo.cardkeys import make_secret, normalise_key
from yiwen.store.connectors.demo.catalogue import (
    HOUR_WEIGHTS,
    PAYMENT_METHOD_WEIGHTS,
    SUPPLIERS,
    ProductSpec,
)
from yiwen.store.connectors.demo.models import ZERO
from yiwen.store.connectors.demo.upstream import SUPPLIER_ERRORS, supplier_order_no
from yiwen.store.protocol import PaymentMethod

Row = dict[str, Any]
LATENCY = {s.supplier_id: s.latency_seconds for s in SUPPLIERS}
# Ordinary orders are at least this old, so every ordinary delivery has finished.
MIN_AGE = timedelta(minutes=30)
# (youngest, oldest) for the cases that are only seen fresh.
RECENT: dict[str, tuple[timedelta, timedelta]] = {
    "push_slow": (timedelta(minutes=3), timedelta(minutes=25)),
    "paid_not_delivered": (timedelta(minutes=20), timedelta(days=2)),
    "callback_missing": (timedelta(minutes=10), timedelta(days=3)),
    "push_failed": (timedelta(minutes=10), timedelta(days=5)),
    "refund_pending": (timedelta(hours=8), timedelta(days=3)),
    "key_used": (timedelta(hours=1), timedelta(days=14)),
    "wrong_region": (timedelta(hours=1), timedelta(days=14)),
    "duplicate_payment": (timedelta(hours=1), timedelta(days=14)),
}
REGIONS = ("国区", "港区", "美区", "土区")
REFUND_REASONS = ("上游充值失败，原路退回", "客户申请退款", "长时间未到账，协商退款")


@dataclass
class Rows:
    suppliers: list[Row] = field(default_factory=list)
    products: list[Row] = field(default_factory=list)
    accounts: list[Row] = field(default_factory=list)
    orders: list[Row] = field(default_factory=list)
    payments: list[Row] = field(default_factory=list)
    card_keys: list[Row] = field(default_factory=list)
    pushes: list[Row] = field(default_factory=list)
    refunds: list[Row] = field(default_factory=list)


class OrderBuilder:
    def __init__(self, rng: random.Random, rows: Rows, *, now: datetime, days: int) -> None:
        self.rng = rng
        self.rows = rows
        self.now = now
        self.days = days
        self.order_nos: set[str] = set()
        self.cases: dict[str, Callable[[Row, ProductSpec, Row], None]] = {
            "delivered_ok": self._delivered,
            "topup_delivered": self._delivered,
            "push_failed": self._push_failed,
            "push_slow": self._push_slow,
            "paid_not_delivered": self._paid_not_delivered,
            "key_used": self._key_used,
            "wrong_region": self._wrong_region,
            "duplicate_payment": self._duplicate_payment,
            "refund_pending": self._refund_pending,
            "callback_missing": self._callback_missing,
            "refunded": self._refunded,
        }

    def add(
        self, case: str, product: ProductSpec, *, shop_user_id: str | None, contact: str
    ) -> None:
        rng = self.rng
        created = self._created_at(case)
        quantity = 1
        if product.delivery_type == "card_key":
            quantity = rng.choices((1, 2, 3, 5), weights=(80, 12, 5, 3))[0]
        order: Row = {
            "order_no": self._order_no(created),
            "status": "paid",
            "product_id": product.product_id,
            "supplier_id": product.supplier_id,
            "quantity": quantity,
            "unit_price": product.price,
            "amount": product.price * quantity,
            "refunded_amount": ZERO,
            "contact": contact,
            "shop_user_id": shop_user_id,
            "region": product.region,
            "target_account": self._target_account(product, contact),
            "created_at": created,
            "paid_at": created + timedelta(seconds=rng.randint(15, 180)),
            "delivered_at": None,
            "resend_count": 0,
            "scenario": case,
        }
        self.rows.orders.append(order)
        method = self._method(shop_user_id)
        if case == "unpaid":
            self._unpaid(order, method)
            return
        payment = self._payment(order, method, order["paid_at"])
        self.cases[case](order, product, payment)

    # --- cases -------------------------------------------------------------------------

    def _delivered(self, order: Row, product: ProductSpec, payment: Row) -> None:
        paid_at: datetime = order["paid_at"]
        if product.supplier_id is None:
            delivered_at = paid_at + timedelta(seconds=self.rng.randint(1, 5))
        else:
            start = paid_at + timedelta(seconds=1)
            attempt = 1
            if self.rng.random() < 0.05:  # the first try failed, the shop's retry worked
                failed_at = self._push(order, start, attempt, "failed")
                start, attempt = failed_at + timedelta(seconds=self.rng.randint(60, 600)), 2
            delivered_at = self._push(order, start, attempt, "succeeded")
        order["status"] = "delivered"
        order["delivered_at"] = delivered_at
        if product.delivery_type == "card_key":
            self._keys(order, product, delivered_at, region=product.region)
            if self.rng.random() < 0.03:
                order["resend_count"] = 1

    def _push_failed(self, order: Row, product: ProductSpec, payment: Row) -> None:
        start = order["paid_at"] + timedelta(seconds=1)
        failed_at = self._push(order, start, 1, "failed")
        if self.rng.random() < 0.4 and failed_at + timedelta(minutes=15) < self.now:
            retry = failed_at + timedelta(seconds=self.rng.randint(60, 600))
            self._push(order, min(retry, self.now), 2, "failed")
        order["status"] = "delivery_failed"

    def _push_slow(self, order: Row, product: ProductSpec, payment: Row) -> None:
        start = order["paid_at"] + timedelta(seconds=1)
        self._push(order, start, 1, "processing")
        order["status"] = "delivering"

    def _paid_not_delivered(self, order: Row, product: ProductSpec, payment: Row) -> None:
        self._push(order, order["paid_at"] + timedelta(seconds=1), 1, "pending")
        order["status"] = "paid"

    def _key_used(self, order: Row, product: ProductSpec, payment: Row) -> None:
        self._delivered(order, product, payment)
        first = self.rows.card_keys[-order["quantity"]]
        first["state"] = "used"
        first["used_at"] = order["delivered_at"] - timedelta(hours=self.rng.randint(2, 24 * 30))

    def _wrong_region(self, order: Row, product: ProductSpec, payment: Row) -> None:
        self._delivered(order, product, payment)
        other = self.rng.choice([r for r in REGIONS if r != product.region])
        for key in self.rows.card_keys[-order["quantity"] :]:
            key["region"] = other
            key["state"], key["used_at"] = "unused", None

    def _duplicate_payment(self, order: Row, product: ProductSpec, payment: Row) -> None:
        self._delivered(order, product, payment)
        second = self._payment(
            order,
            payment["method"],
            payment["paid_at"] + timedelta(seconds=self.rng.randint(20, 120)),
        )
        second["created_at"] = second["paid_at"] - timedelta(seconds=10)
        second["duplicate"] = True

    def _refund_pending(self, order: Row, product: ProductSpec, payment: Row) -> None:
        self._push_failed(order, product, payment)
        self._refund(order, payment, status="processing")

    def _callback_missing(self, order: Row, product: ProductSpec, payment: Row) -> None:
        payment["callback_received"] = False
        order["status"] = "pending_payment"
        order["paid_at"] = None

    def _refunded(self, order: Row, product: ProductSpec, payment: Row) -> None:
        self._push_failed(order, product, payment)
        self._refund(order, payment, status="succeeded")
        payment["status"] = "refunded"
        payment["refunded_amount"] = payment["amount"]

    def _unpaid(self, order: Row, method: PaymentMethod) -> None:
        if self.rng.random() < 0.1:  # still at the cashier
            order["created_at"] = self.now - timedelta(seconds=self.rng.randint(30, 14 * 60))
            order["order_no"] = self._order_no(order["created_at"])
        pending = self.now - order["created_at"] < timedelta(minutes=15)
        order["status"] = "pending_payment" if pending else "cancelled"
        order["paid_at"] = None
        payment = self._payment(order, method, None)
        payment["status"] = "pending" if pending else "failed"
        payment["trade_no"] = None

    # --- parts -------------------------------------------------------------------------

    def _push(self, order: Row, start: datetime, attempt: int, status: str) -> datetime:
        """One push of the order from ``start``; returns when the supplier answered (or will)."""
        rng = self.rng
        supplier_id: str = order["supplier_id"]
        answer = start + timedelta(seconds=LATENCY[supplier_id] * (0.5 + rng.random()))
        row: Row = {
            "push_id": f"PU{rng.getrandbits(80):020X}",
            "order_no": order["order_no"],
            "supplier_id": supplier_id,
            "attempt": attempt,
            "status": status,
            "error": rng.choice(SUPPLIER_ERRORS) if status == "failed" else None,
            "supplier_order_no": supplier_order_no(supplier_id, rng, start),
            "created_at": start,
            "updated_at": min(answer, self.now),
            "complete_at": None,
            "outcome": None,
            "outcome_error": None,
        }
        if status == "processing":
            answer = self.now + timedelta(minutes=rng.uniform(5, 40))
            row.update(updated_at=start, complete_at=answer, outcome="succeeded")
        elif status == "pending":
            row.update(updated_at=start, supplier_order_no=None)
        self.rows.pushes.append(row)
        return answer

    def _keys(
        self, order: Row, product: ProductSpec, delivered_at: datetime, region: str | None
    ) -> None:
        age = self.now - delivered_at
        for _ in range(order["quantity"]):
            secret = make_secret(self.rng, product.key_pattern)
            used = (age > timedelta(days=1) and self.rng.random() < 0.85) or (
                age > timedelta(hours=1) and self.rng.random() < 0.5
            )
            used_span = min(age, timedelta(days=2)).total_seconds()
            self.rows.card_keys.append(
                {
                    "key_id": f"K{self.rng.getrandbits(80):020X}",
                    "order_no": order["order_no"],
                    "product_id": product.product_id,
                    "secret": secret,
                    "lookup": normalise_key(secret),
                    "state": "used" if used else "unused",
                    "region": region,
                    "delivered_at": delivered_at,
                    "used_at": (
                        delivered_at + timedelta(seconds=self.rng.uniform(60, used_span))
                        if used
                        else None
                    ),
                }
            )

    def _payment(self, order: Row, method: PaymentMethod, paid_at: datetime | None) -> Row:
        payment: Row = {
            "payment_id": f"PY{self.rng.getrandbits(64):016X}",
            "order_no": order["order_no"],
            "method": method,
            "amount": order["amount"],
            "status": "paid",
            "trade_no": self._trade_no(method, paid_at or order["created_at"]),
            "created_at": order["created_at"] + timedelta(seconds=5),
            "paid_at": paid_at,
            "callback_received": paid_at is not None,
            "refunded_amount": ZERO,
            "duplicate": False,
        }
        self.rows.payments.append(payment)
        return payment

    def _refund(self, order: Row, payment: Row, *, status: str) -> None:
        failed_at = max(
            p["updated_at"] for p in self.rows.pushes if p["order_no"] == order["order_no"]
        )
        created = min(failed_at + timedelta(hours=self.rng.uniform(0.5, 6)), self.now)
        refund_no = f"RF{to_local(created):%Y%m%d%H%M%S}{self.rng.getrandbits(24):06X}"
        done = status == "succeeded"
        self.rows.refunds.append(
            {
                "refund_id": f"{refund_no}-{payment['payment_id']}",
                "refund_no": refund_no,
                "order_no": order["order_no"],
                "payment_id": payment["payment_id"],
                "amount": order["amount"],
                "reason": self.rng.choice(REFUND_REASONS),
                "status": status,
                "created_at": created,
                "completed_at": min(created + timedelta(hours=2), self.now) if done else None,
            }
        )
        order["status"] = "refunded"
        order["refunded_amount"] = order["amount"]

    def _created_at(self, case: str) -> datetime:
        window = RECENT.get(case)
        if window is not None:
            youngest, oldest = window
            span = (oldest - youngest).total_seconds()
            return self.now - youngest - timedelta(seconds=self.rng.uniform(0, span))
        local_now = to_local(self.now)
        for _ in range(50):
            hour = self.rng.choices(range(24), weights=HOUR_WEIGHTS)[0]
            local = (local_now - timedelta(days=self.rng.randrange(self.days))).replace(
                hour=hour,
                minute=self.rng.randrange(60),
                second=self.rng.randrange(60),
                microsecond=0,
            )
            if local.astimezone(UTC) <= self.now - MIN_AGE:
                return local.astimezone(UTC)
        return self.now - MIN_AGE - timedelta(hours=self.rng.uniform(0, 24))

    def _order_no(self, created: datetime) -> str:
        """Dujiaoka's 16 letters and digits, or a platform's local time plus 6 digits."""
        while True:
            if self.rng.random() < 0.5:
                order_no = "".join(self.rng.choices(string.ascii_uppercase + string.digits, k=16))
                if order_no.isdigit():
                    continue
            else:
                order_no = f"{to_local(created):%Y%m%d%H%M%S}{self.rng.randrange(10**6):06d}"
            if order_no not in self.order_nos:
                self.order_nos.add(order_no)
                return order_no

    def _method(self, shop_user_id: str | None) -> PaymentMethod:
        methods = list(PAYMENT_METHOD_WEIGHTS)
        method = self.rng.choices(methods, weights=list(PAYMENT_METHOD_WEIGHTS.values()))[0]
        # Only logged-in users have a shop balance to pay with.
        return "alipay" if method == "balance" and shop_user_id is None else method

    def _trade_no(self, method: PaymentMethod, moment: datetime) -> str | None:
        """The gateway's transaction number, in each gateway's own format."""
        rng, day = self.rng, f"{to_local(moment):%Y%m%d}"
        if method == "alipay":
            return f"{day}2200{rng.randrange(10**16):016d}"
        if method == "wechat":
            return f"4200{rng.randrange(10**4):04d}{day}{rng.randrange(10**12):012d}"
        if method == "qq_wallet":
            return f"1{rng.randrange(10**9):09d}{day}{rng.randrange(10**6):06d}"
        if method == "bank_card":
            return f"{to_local(moment):%Y%m%d%H%M%S}{rng.randrange(10**7):07d}"
        if method == "usdt":
            return f"{rng.getrandbits(256):064x}"
        return None  # the shop balance has no gateway

    def _target_account(self, product: ProductSpec, contact: str) -> str | None:
        if product.target == "qq":
            return str(self.rng.randrange(10**5, 10**10))
        if product.target == "phone":
            if contact.isdigit():
                return contact
            return f"1{self.rng.choice('3456789')}{self.rng.randrange(10**9):09d}"
        if product.target == "game_uid":
            return f"{self.rng.choice('125')}{self.rng.randrange(10**8):08d}"
        return None
