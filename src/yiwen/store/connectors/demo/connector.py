"""The StoreConnector over the embedded demo shop.

Reads settle due supplier answers first, then read through a plain (deferred)
transaction; actions go through :meth:`DemoShop.perform`, one transaction each,
idempotent by key.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from yiwen.core.clock import Clock
from yiwen.core.settings import Settings
from yiwen.store.activity import ShopActivity
from yiwen.store.connectors.demo import actions, events, views
from yiwen.store.connectors.demo.activity import load_activity
from yiwen.store.connectors.demo.shop import DemoShop, ExampleOrder
from yiwen.store.protocol import (
    Account,
    ActionResult,
    CardKeyCheck,
    Order,
    OrderSummary,
    StoreEvent,
)

# The two order-number formats the demo shop issues, as real shops do: dujiaoka's
# 16 upper-case letters and digits (at least one letter, so a bare number is never
# taken for one), and big platforms' local time yyyyMMddHHmmss plus 6 digits.
DUJIAOKA_ORDER_NO = r"(?=[0-9]*[A-Z])[A-Z0-9]{16}"
DATED_ORDER_NO = (
    r"20\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?:[01]\d|2[0-3])[0-5]\d[0-5]\d\d{6}"
)


class DemoStoreConnector:
    name = "demo"
    system_name = "演示店铺后台"
    order_no_patterns: tuple[str, ...] = (DUJIAOKA_ORDER_NO, DATED_ORDER_NO)

    def __init__(self, shop: DemoShop) -> None:
        self.shop = shop

    @classmethod
    def open(cls, url: str, clock: Clock, *, seed: int = 0) -> DemoStoreConnector:
        """A connector on the shop database at ``url`` (created if missing); for tests and tools."""
        return cls(DemoShop.open(url, clock, seed=seed))

    @classmethod
    def from_settings(cls, settings: Settings, clock: Clock) -> DemoStoreConnector:
        return cls.open(settings.resolved_demo_shop_url(), clock)

    def close(self) -> None:
        self.shop.close()

    def example_orders(self) -> dict[str, ExampleOrder]:
        return self.shop.example_orders()

    def find_orders(
        self,
        *,
        order_no: str | None = None,
        contact: str | None = None,
        shop_user_id: str | None = None,
        since: datetime | None = None,
        limit: int = 50,
    ) -> list[OrderSummary]:
        self.shop.settle()
        with self.shop.database.reading() as session:
            return views.find_order_summaries(
                session,
                order_no=order_no,
                contact=contact,
                shop_user_id=shop_user_id,
                since=since,
                limit=limit,
            )

    def get_order(self, order_no: str) -> Order:
        self.shop.settle()
        with self.shop.database.reading() as session:
            return views.load_order(session, order_no)

    def find_open_orders(
        self,
        *,
        paid_since: datetime,
        paid_before: datetime | None = None,
        supplier: str | None = None,
        product_id: str | None = None,
        delivery_type: str | None = None,
        limit: int = 200,
    ) -> list[Order]:
        """Paid but undelivered orders (proactive notices and care, yiwen.proactive)."""
        self.shop.settle()
        with self.shop.database.reading() as session:
            order_nos = views.find_open_order_nos(
                session,
                paid_since=paid_since,
                paid_before=paid_before,
                supplier=supplier,
                product_id=product_id,
                delivery_type=delivery_type,
                limit=limit,
            )
            return [views.load_order(session, order_no) for order_no in order_nos]

    def shop_activity(
        self, *, paid_since: datetime, events_since: datetime, limit: int = 20000
    ) -> ShopActivity:
        """Recent deliveries, pushes and payments in bulk (the service-commitment page)."""
        self.shop.settle()
        with self.shop.database.reading() as session:
            return load_activity(
                session, paid_since=paid_since, events_since=events_since, limit=limit
            )

    def recent_events(self, since: datetime, *, limit: int = 5000) -> list[StoreEvent]:
        """Pushes and payments started since ``since`` (anomaly counts, yiwen.proactive)."""
        self.shop.settle()
        with self.shop.database.reading() as session:
            return events.recent_events(session, since, limit)

    def get_account(self, shop_user_id: str) -> Account:
        with self.shop.database.reading() as session:
            return views.load_account(session, shop_user_id)

    def check_card_key(self, card_key: str) -> CardKeyCheck:
        self.shop.settle()
        with self.shop.database.reading() as session:
            return views.check_key(session, card_key)

    def reveal_card_key(self, order_no: str, key_id: str) -> str:
        self.shop.settle()
        with self.shop.database.reading() as session:
            return views.reveal_secret(session, order_no, key_id)

    def resend_delivery(self, order_no: str, *, idempotency_key: str) -> ActionResult:
        return self.shop.perform(
            "resend_delivery",
            idempotency_key,
            {"order_no": order_no},
            lambda session, _now: actions.resend_delivery(session, order_no),
        )

    def replace_card_key(
        self, order_no: str, key_id: str, *, reason: str, idempotency_key: str
    ) -> ActionResult:
        return self.shop.perform(
            "replace_card_key",
            idempotency_key,
            {"order_no": order_no, "key_id": key_id},
            lambda session, now: actions.replace_card_key(
                session, order_no, key_id, reason=reason, now=now
            ),
        )

    def repush_upstream(self, order_no: str, *, idempotency_key: str) -> ActionResult:
        return self.shop.perform(
            "repush_upstream",
            idempotency_key,
            {"order_no": order_no},
            lambda session, now: actions.repush_upstream(
                session, order_no, seed=self.shop.seed, now=now
            ),
        )

    def refund(
        self, order_no: str, amount: Decimal | None, *, reason: str, idempotency_key: str
    ) -> ActionResult:
        amount = None if amount is None else actions.check_amount(amount)
        return self.shop.perform(
            "refund",
            idempotency_key,
            {"order_no": order_no, "amount": "all" if amount is None else str(amount)},
            lambda session, now: actions.refund(session, order_no, amount, reason=reason, now=now),
        )

    def issue_coupon(
        self,
        *,
        shop_user_id: str | None,
        contact: str | None,
        amount: Decimal,
        reason: str,
        idempotency_key: str,
    ) -> ActionResult:
        amount = actions.check_amount(amount)
        return self.shop.perform(
            "issue_coupon",
            idempotency_key,
            {"shop_user_id": shop_user_id or "", "contact": contact or "", "amount": str(amount)},
            lambda session, now: actions.issue_coupon(
                session,
                shop_user_id=shop_user_id,
                contact=contact,
                amount=amount,
                reason=reason,
                now=now,
            ),
        )

    def freeze_account(
        self, shop_user_id: str, *, reason: str, idempotency_key: str
    ) -> ActionResult:
        return self.shop.perform(
            "freeze_account",
            idempotency_key,
            {"shop_user_id": shop_user_id},
            lambda session, _now: actions.set_frozen(
                session, shop_user_id, frozen=True, reason=reason
            ),
        )

    def unfreeze_account(
        self, shop_user_id: str, *, reason: str, idempotency_key: str
    ) -> ActionResult:
        return self.shop.perform(
            "unfreeze_account",
            idempotency_key,
            {"shop_user_id": shop_user_id},
            lambda session, _now: actions.set_frozen(
                session, shop_user_id, frozen=False, reason=reason
            ),
        )
