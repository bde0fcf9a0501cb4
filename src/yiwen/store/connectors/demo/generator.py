"""Fill the demo shop with months of realistic orders, troubles included.

The same ``seed`` and ``now`` give the same shop, row for row, so tests and demos
can rely on it. Seeding a shop that already has orders does nothing unless
``reset=True``, which wipes the shop first. Rows are built in memory and
bulk-inserted in one transaction, so 5,000 orders take a few seconds at most.

Every case below appears at least once (given at least as many orders as
cases), the troubles in the few-per-cent proportions a real shop sees; the
label is kept on each order so :meth:`DemoShop.example_orders` can find one.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import insert

from yiwen.core.clock import SystemClock
from yiwen.core.settings import Settings
from yiwen.store.connectors.demo.catalogue import (
    EMAIL_DOMAINS,
    NAME_PARTS,
    PRODUCTS,
    SUPPLIERS,
    ProductSpec,
)
from yiwen.store.connectors.demo.connector import DemoStoreConnector
from yiwen.store.connectors.demo.models import (
    ZERO,
    Product,
    ShopAccount,
    ShopCardKey,
    ShopOrder,
    ShopPayment,
    ShopRefund,
    Supplier,
    UpstreamPushRow,
)
from yiwen.store.connectors.demo.orders import OrderBuilder, Rows
from yiwen.store.connectors.demo.shop import DemoShop

# Relative weights of each case; the troubles are a few per cent each.
CASE_WEIGHTS: dict[str, float] = {
    "delivered_ok": 44,  # card keys delivered
    "topup_delivered": 28,  # direct top-up credited
    "unpaid": 7,  # abandoned at the cashier: cancelled, or still pending if recent
    "push_failed": 3,  # the supplier refused the order
    "push_slow": 1.5,  # the supplier has not answered yet
    "paid_not_delivered": 2,  # paid, the push was never sent
    "key_used": 1.5,  # the delivered key had been redeemed before the sale
    "wrong_region": 1,  # a key of another region was delivered
    "duplicate_payment": 1.5,  # the customer was charged twice
    "refund_pending": 1,  # refund accepted, not yet back with the payer
    "callback_missing": 1.5,  # paid at the gateway, the shop never heard of it
    "refunded": 2,  # failed, then refunded
}
CASES = tuple(CASE_WEIGHTS)


def seed_demo_shop(
    target: DemoShop | DemoStoreConnector,
    *,
    orders: int = 5000,
    days: int = 90,
    seed: int = 7,
    now: datetime | None = None,
    reset: bool = False,
) -> dict[str, Any]:
    """Generate the shop's suppliers, products, users and ``orders`` orders over ``days`` days."""
    if orders < 0 or days < 1:
        raise ValueError("orders must be >= 0 and days >= 1")
    shop = target.shop if isinstance(target, DemoStoreConnector) else target
    if reset:
        shop.wipe()
    elif shop.order_count() > 0:
        return {"seeded": False, "orders": shop.order_count()}
    moment = now or shop.clock.now()
    rows = _generate(random.Random(seed), orders=orders, days=days, now=moment)
    with shop.database.transaction() as session:
        for model, table_rows in (
            (Supplier, rows.suppliers),
            (Product, rows.products),
            (ShopAccount, rows.accounts),
            (ShopOrder, rows.orders),
            (ShopPayment, rows.payments),
            (ShopCardKey, rows.card_keys),
            (UpstreamPushRow, rows.pushes),
            (ShopRefund, rows.refunds),
        ):
            if table_rows:
                session.execute(insert(model), table_rows)
    return {
        "seeded": True,
        "orders": len(rows.orders),
        "shop_users": len(rows.accounts),
        "payments": len(rows.payments),
        "card_keys": len(rows.card_keys),
        "upstream_pushes": len(rows.pushes),
        "refunds": len(rows.refunds),
        "cases": dict(sorted(Counter(o["scenario"] for o in rows.orders).items())),
        "statuses": dict(sorted(Counter(o["status"] for o in rows.orders).items())),
    }


def run_seed(
    settings: Settings, *, orders: int, days: int, seed: int, reset: bool
) -> dict[str, Any]:
    """The ``yiwen demo seed`` command: seed the configured demo shop, return figures to print."""
    shop = DemoShop.open(settings.resolved_demo_shop_url(), SystemClock())
    try:
        started = time.perf_counter()
        summary = seed_demo_shop(shop, orders=orders, days=days, seed=seed, reset=reset)
        summary["elapsed_seconds"] = round(time.perf_counter() - started, 2)
        summary["examples"] = {
            case: f"{ex.order_no} (contact {ex.contact})"
            for case, ex in shop.example_orders().items()
        }
        return summary
    finally:
        shop.close()


def _generate(rng: random.Random, *, orders: int, days: int, now: datetime) -> Rows:
    rows = Rows()
    rows.suppliers = [
        {
            "supplier_id": s.supplier_id,
            "name": s.name,
            "latency_seconds": s.latency_seconds,
            "failure_rate": s.failure_rate,
            "forced_outcome": None,
        }
        for s in SUPPLIERS
    ]
    rows.products = [
        {
            "product_id": p.product_id,
            "name": p.name,
            "delivery_type": p.delivery_type,
            "price": p.price,
            "region": p.region,
            "key_pattern": p.key_pattern,
            "supplier_id": p.supplier_id,
        }
        for p in PRODUCTS
    ]
    contacts = _Contacts(rng)
    users = contacts.accounts(max(20, orders * 4 // 5), now=now, days=days)
    rows.accounts = users
    guests = [contacts.guest() for _ in range(max(5, orders // 4))]
    builder = OrderBuilder(rng, rows, now=now, days=days)
    for case in _case_sequence(rng, orders):
        product = _pick_product(rng, case)
        if rng.random() < 0.7:
            user = rng.choice(users)
            builder.add(
                case,
                product,
                shop_user_id=user["shop_user_id"],
                contact=user["phone"] or user["email"],
            )
        else:
            builder.add(case, product, shop_user_id=None, contact=rng.choice(guests))
    return rows


def _case_sequence(rng: random.Random, orders: int) -> list[str]:
    """Every case once (room permitting), the rest drawn by weight, in shuffled order."""
    sequence = list(CASES[:orders])
    sequence += rng.choices(CASES, weights=list(CASE_WEIGHTS.values()), k=orders - len(sequence))
    rng.shuffle(sequence)
    return sequence


def _eligible(case: str, product: ProductSpec) -> bool:
    card = product.delivery_type == "card_key"
    if case in ("delivered_ok", "key_used"):
        return card
    if case == "topup_delivered":
        return not card
    if case == "wrong_region":
        return card and product.region is not None
    if case in ("push_failed", "push_slow", "paid_not_delivered", "refund_pending", "refunded"):
        return product.supplier_id is not None
    return True


_ELIGIBLE = {case: [p for p in PRODUCTS if _eligible(case, p)] for case in CASES}


def _pick_product(rng: random.Random, case: str) -> ProductSpec:
    candidates = _ELIGIBLE[case]
    return rng.choices(candidates, weights=[p.popularity for p in candidates])[0]


class _Contacts:
    """Chinese-style phone numbers and emails, each unique within the shop."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def phone(self) -> str:
        while True:
            number = f"1{self.rng.choice('3456789')}{self.rng.randrange(10**9):09d}"
            if number not in self.used:
                self.used.add(number)
                return number

    def email(self) -> str:
        while True:
            if self.rng.random() < 0.4:
                local = str(self.rng.randrange(10**5, 10**10))  # a QQ number
                domain = "qq.com"
            else:
                local = f"{self.rng.choice(NAME_PARTS)}{self.rng.randrange(1, 9999)}"
                domain = self.rng.choice(EMAIL_DOMAINS)
            address = f"{local}@{domain}"
            if address not in self.used:
                self.used.add(address)
                return address

    def guest(self) -> str:
        return self.phone() if self.rng.random() < 0.7 else self.email()

    def accounts(self, count: int, *, now: datetime, days: int) -> list[dict[str, Any]]:
        accounts = []
        for index in range(count):
            has_phone = self.rng.random() < 0.85
            phone = self.phone() if has_phone else None
            email = self.email() if not has_phone or self.rng.random() < 0.5 else None
            balance = (
                ZERO
                if self.rng.random() < 0.8
                else Decimal(self.rng.randrange(100, 30000)).scaleb(-2)
            )
            frozen = self.rng.random() < 0.005
            accounts.append(
                {
                    "shop_user_id": str(200001 + index),
                    "phone": phone,
                    "email": email,
                    "balance": balance,
                    "frozen": frozen,
                    "frozen_reason": "异常登录，系统自动冻结" if frozen else None,
                    "created_at": now - timedelta(days=days + self.rng.randrange(0, 700)),
                }
            )
        return accounts
