"""dujiaoka keeps no payment time; ``updated_at`` stands in for it where it still means that."""

from __future__ import annotations

import contextlib
from datetime import UTC
from zoneinfo import ZoneInfo

from tests.store.dujiaoka.fixtures import DATABASE, DujiaokaShop
from yiwen.store.connectors.dujiaoka.connector import DujiaokaConnector


def _updated_at(shop: DujiaokaShop, order_sn: str):  # type: ignore[no-untyped-def]
    with (
        contextlib.closing(shop.server.admin(DATABASE)) as connection,
        connection.cursor() as cursor,
    ):
        cursor.execute("SELECT updated_at FROM orders WHERE order_sn = %s", (order_sn,))
        return cursor.fetchone()[0]


def test_a_paid_automatic_order_was_paid_when_its_callback_saved_it(
    dujiaoka: DujiaokaConnector, dujiaoka_shop: DujiaokaShop
) -> None:
    for case in ("delivered_ok", "abnormal"):
        sn = dujiaoka_shop.examples[case].order_no
        order = dujiaoka.get_order(sn)
        local = _updated_at(dujiaoka_shop, sn).replace(tzinfo=ZoneInfo("Asia/Shanghai"))
        assert order.paid_at == local.astimezone(UTC)
        assert order.payments[0].paid_at == order.paid_at
        assert order.paid_at >= order.created_at


def test_unpaid_orders_have_no_payment_time(
    dujiaoka: DujiaokaConnector, dujiaoka_shop: DujiaokaShop
) -> None:
    for case in ("unpaid", "expired"):
        assert dujiaoka.get_order(dujiaoka_shop.examples[case].order_no).paid_at is None


def test_a_manual_order_is_paid_at_its_last_save_only_while_it_waits(
    dujiaoka: DujiaokaConnector, dujiaoka_shop: DujiaokaShop
) -> None:
    waiting = dujiaoka.get_order(dujiaoka_shop.examples["pending"].order_no)
    assert waiting.paid_at is not None
    # Moved on by the owner: updated_at is their edit, so the payment time is unknown.
    moved_on = dujiaoka.get_order(dujiaoka_shop.examples["topup_delivered"].order_no)
    assert moved_on.status == "delivered" and moved_on.paid_at is None
