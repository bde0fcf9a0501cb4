"""What proactive service needs from a shop beyond the connector protocol: its open orders.

A connector that can list paid, undelivered orders (the demo shop can) has
``find_open_orders``; one that cannot is simply not scanned, and announcements
then need their affected orders named by hand.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, runtime_checkable

from yiwen.store.protocol import Order


@runtime_checkable
class OpenOrderFeed(Protocol):
    def find_open_orders(
        self,
        *,
        paid_since: datetime,
        paid_before: datetime | None = None,
        supplier: str | None = None,
        product_id: str | None = None,
        delivery_type: str | None = None,
        limit: int = 200,
    ) -> list[Order]: ...


def open_order_feed(store: object) -> OpenOrderFeed | None:
    return store if isinstance(store, OpenOrderFeed) else None


UNDELIVERED = frozenset({"paid", "delivering", "delivery_failed"})
