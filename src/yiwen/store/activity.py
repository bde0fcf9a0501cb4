"""What a shop did recently, in bulk: deliveries, upstream pushes and payments.

The service-commitment page measures delivery times per product type and shows
whether each supplier and payment channel is working; reading order after order
through ``get_order`` would cost a round trip each. A connector that can answer
in bulk has ``shop_activity``; one that cannot is simply not measured (the page
then says there are no figures rather than guessing).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from yiwen.store.protocol import DeliveryType, OrderStatus, PaymentMethod, PaymentStatus, PushStatus


@dataclass(frozen=True)
class DeliveryRecord:
    """A paid order: when it was paid and, if it was, delivered."""

    delivery_type: DeliveryType
    status: OrderStatus
    paid_at: datetime
    delivered_at: datetime | None


@dataclass(frozen=True)
class PushRecord:
    supplier: str  # the supplier's display name
    status: PushStatus
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class PaymentRecord:
    method: PaymentMethod
    status: PaymentStatus
    callback_received: bool
    created_at: datetime


@dataclass(frozen=True)
class ShopActivity:
    deliveries: tuple[DeliveryRecord, ...]
    pushes: tuple[PushRecord, ...]
    payments: tuple[PaymentRecord, ...]


@runtime_checkable
class ActivityFeed(Protocol):
    def shop_activity(
        self, *, paid_since: datetime, events_since: datetime, limit: int = 20000
    ) -> ShopActivity:
        """Deliveries of orders paid since ``paid_since``; pushes and payments since
        ``events_since``; each list the newest ``limit`` at most."""
        ...


def activity_feed(store: object) -> ActivityFeed | None:
    return store if isinstance(store, ActivityFeed) else None
