"""Self-service order lookup for customers (portal, widget, shop app)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from yiwen.http.deps import CurrentCustomer, Store
from yiwen.http.ratelimit import limit_by_client
from yiwen.store.selfservice import lookup_order, order_for_customer, orders_of_shop_user

router = APIRouter(prefix="/api/v1/customer", tags=["customer"])


class OrderLookup(BaseModel):
    model_config = ConfigDict(extra="forbid")

    order_no: str = Field(min_length=4, max_length=64, pattern=r"^[A-Za-z0-9_\-]+$")
    contact: str = Field(min_length=3, max_length=100, description="下单时填写的手机号或邮箱")


@router.post("/orders/lookup", dependencies=[Depends(limit_by_client(limit=20, window_seconds=60))])
def lookup(body: OrderLookup, store: Store) -> dict[str, Any]:
    """An order by its number and the contact used at purchase (no login needed)."""
    return order_for_customer(lookup_order(store, body.order_no, body.contact))


@router.get("/orders")
def my_orders(who: CurrentCustomer, store: Store) -> list[dict[str, Any]]:
    """The logged-in shop user's recent orders (needs ``X-Shop-Token``)."""
    return [order_for_customer(o) for o in orders_of_shop_user(store, who)]
