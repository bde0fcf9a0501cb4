"""A simulated demo shop for the proactive tests: 90 days of counts and a live supplier outage.

History is generated as counts in bulk (simulate.py, on a simulated clock), not
as orders; the last hour before the outage and the outage itself are real
orders in a real demo shop database, pushed to its suppliers by the demo
shop's own push logic (yiwen.store.connectors.demo.upstream), so the detector
reads them through the connector exactly as in production.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

import numpy as np

from yiwen.core.clock import FixedClock
from yiwen.proactive.anomaly.series import SeriesKey, minute_of
from yiwen.proactive.anomaly.simulate import (
    MINUTES_PER_DAY,
    InjectedIncident,
    SeriesSpec,
    generate_counts,
    seasonal_rate,
)
from yiwen.store.connectors.demo.catalogue import PRODUCTS, SUPPLIERS
from yiwen.store.connectors.demo.connector import DemoStoreConnector
from yiwen.store.connectors.demo.models import Product, ShopOrder, ShopPayment, Supplier
from yiwen.store.connectors.demo.upstream import send_push

# Pushes an hour per supplier, on average over a week (the busiest one first).
PUSHES_PER_HOUR = {"suchong": 150.0, "fengniao": 60.0, "yunduan": 40.0, "jutong": 30.0}
PAYMENTS_PER_HOUR = {"alipay": 140.0, "wechat": 110.0, "qq_wallet": 15.0, "bank_card": 9.0}
CALLBACK_MISSING_SHARE = 0.015
SLOW_SHARE = 0.10  # "slow" means slower than the supplier's p90: one push in ten


@dataclass(frozen=True)
class HistorySeries:
    key: SeriesKey
    label: str | None
    spec: SeriesSpec


@dataclass
class SimulatedHistory:
    first_minute: int
    minutes: int
    counts: dict[SeriesKey, np.ndarray] = field(default_factory=dict)
    series: list[HistorySeries] = field(default_factory=list)


def history_series() -> list[HistorySeries]:
    names = {s.supplier_id: s.name for s in SUPPLIERS}
    failure = {s.supplier_id: s.failure_rate for s in SUPPLIERS}
    found = []
    for supplier, per_hour in PUSHES_PER_HOUR.items():
        for measure, share in (("push_failed", failure[supplier]), ("push_slow", SLOW_SHARE)):
            found.append(
                HistorySeries(
                    SeriesKey(measure, "supplier", supplier),
                    names[supplier],
                    SeriesSpec(f"{supplier}-{measure}", measure, mean_per_hour=per_hour * share),
                )
            )
    for method, per_hour in PAYMENTS_PER_HOUR.items():
        found.append(
            HistorySeries(
                SeriesKey("payment_callback_missing", "payment_method", method),
                None,
                SeriesSpec(
                    f"{method}-callbacks",
                    "payment_callback_missing",
                    mean_per_hour=per_hour * CALLBACK_MISSING_SHARE,
                ),
            )
        )
    return found


def simulate_history(
    first_minute: int, minutes: int, outage: InjectedIncident, outage_key: SeriesKey, seed: int
) -> SimulatedHistory:
    rng = np.random.default_rng(seed)
    history = SimulatedHistory(first_minute=first_minute, minutes=minutes)
    for item in history_series():
        incidents = [outage] if item.key == outage_key else []
        history.counts[item.key] = generate_counts(item.spec, first_minute, minutes, incidents, rng)
        history.series.append(item)
    return history


def pushes_per_minute(supplier: str, moment: datetime) -> float:
    spec = SeriesSpec(supplier, "push_total", mean_per_hour=PUSHES_PER_HOUR[supplier])
    return float(seasonal_rate(spec, np.array([minute_of(moment)], dtype=np.int64))[0])


class LiveShop:
    """Places paid orders of one supplier's products and pushes them, minute by minute."""

    def __init__(self, demo: DemoStoreConnector, clock: FixedClock, supplier: str) -> None:
        self.demo = demo
        self.clock = clock
        self.supplier = supplier
        self.rng = random.Random(11)
        self.counts = np.random.default_rng(11)
        self.products = [p for p in PRODUCTS if p.supplier_id == supplier]
        self.placed = 0

    def place_orders(self, count: int) -> list[str]:
        """``count`` orders paid now, each pushed to the supplier (seconds apart)."""
        shop = self.demo.shop
        order_nos = []
        with shop.database.transaction() as session:
            supplier = session.get_one(Supplier, self.supplier)
            for index in range(count):
                now = self.clock.now() + timedelta(seconds=index * 50 // max(count, 1))
                spec = self.rng.choice(self.products)
                product = session.get_one(Product, spec.product_id)
                self.placed += 1
                order_no = f"LIVE{self.placed:012d}"
                phone = f"139{self.rng.randrange(10**8):08d}"
                order = ShopOrder(
                    order_no=order_no,
                    status="paid",
                    product_id=product.product_id,
                    supplier_id=self.supplier,
                    quantity=1,
                    unit_price=product.price,
                    amount=product.price,
                    refunded_amount=Decimal("0.00"),
                    contact=phone,
                    shop_user_id=None,
                    region=product.region,
                    target_account=None,
                    created_at=now,
                    paid_at=now,
                    delivered_at=None,
                    resend_count=0,
                    scenario="live",
                )
                session.add(order)
                session.add(
                    ShopPayment(
                        payment_id=f"PYLIVE{self.placed:010d}",
                        order_no=order_no,
                        method="alipay",
                        amount=product.price,
                        status="paid",
                        trade_no=f"2026{self.placed:020d}",
                        created_at=now,
                        paid_at=now,
                        callback_received=True,
                        refunded_amount=Decimal("0.00"),
                        duplicate=False,
                    )
                )
                session.flush()
                send_push(session, order, supplier, seed=shop.seed, now=now)
                order_nos.append(order_no)
        return order_nos

    def orders_per_minute(self) -> int:
        mean = pushes_per_minute(self.supplier, self.clock.now())
        return int(self.counts.poisson(mean))


def local_day_start(moment: datetime) -> int:
    """The grid minute of the local midnight that starts ``moment``'s day."""
    minute = minute_of(moment)
    return minute - (minute + 8 * 60) % MINUTES_PER_DAY
