"""The dujiaoka connector on a real MariaDB: dujiaoka's install.sql plus generated rows."""

from __future__ import annotations

import contextlib
from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from tests.store.dujiaoka.fixtures import DATABASE, DujiaokaShop, make_connector
from yiwen.core.errors import Conflict, NotFound
from yiwen.store.connectors.dujiaoka.connector import DujiaokaConnector
from yiwen.store.protocol import ActionNotSupported, StoreActionRefused, capabilities_of

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _one(shop: DujiaokaShop, sql: str, *args: object) -> tuple[object, ...]:
    with contextlib.closing(shop.server.admin(DATABASE)) as connection, connection.cursor() as cur:
        cur.execute(sql, args)
        return cur.fetchone()


@pytest.mark.parametrize(
    ("case", "status", "delivery", "label"),
    [
        ("unpaid", "pending_payment", "not_started", "1 待支付"),
        ("pending", "paid", "not_started", "2 待处理"),
        ("processing", "delivering", "processing", "3 处理中"),
        ("delivered_ok", "delivered", "delivered", "4 已完成"),
        ("push_failed", "delivery_failed", "failed", "5 处理失败"),
        ("abnormal", "delivery_failed", "failed", "6 异常"),
        ("expired", "cancelled", "not_started", "-1 已过期"),
    ],
)
def test_every_dujiaoka_status_maps_to_a_yiwen_status(
    dujiaoka: DujiaokaConnector,
    dujiaoka_shop: DujiaokaShop,
    case: str,
    status: str,
    delivery: str,
    label: str,
) -> None:
    order = dujiaoka.get_order(dujiaoka_shop.examples[case].order_no)
    assert (order.status, order.delivery.status) == (status, delivery)
    assert order.shop_status is not None and order.shop_status.startswith(label)


def test_order_shows_goods_price_gateway_and_trade_no(
    dujiaoka: DujiaokaConnector, dujiaoka_shop: DujiaokaShop
) -> None:
    sn = dujiaoka_shop.examples["delivered_ok"].order_no
    order = dujiaoka.get_order(sn)
    row = _one(
        dujiaoka_shop,
        "SELECT g.gd_name, o.actual_price, o.trade_no, p.pay_name, o.created_at, o.buy_amount "
        "FROM orders o JOIN goods g ON g.id = o.goods_id JOIN pays p ON p.id = o.pay_id "
        "WHERE o.order_sn = %s",
        sn,
    )
    name, price, trade_no, pay_name, created, quantity = row
    assert order.items[0].product_name == name and order.items[0].quantity == quantity
    assert order.amount == price and order.payments[0].trade_no == trade_no
    assert order.payments[0].gateway == pay_name and order.payments[0].status == "paid"
    # dujiaoka stores Shanghai wall-clock time; Yiwen holds aware UTC.
    assert order.created_at == created.replace(tzinfo=SHANGHAI)
    assert order.created_at.utcoffset() is not None


def test_delivered_card_info_is_masked_and_revealed_from_orders_info(
    dujiaoka: DujiaokaConnector, dujiaoka_shop: DujiaokaShop
) -> None:
    sn = dujiaoka_shop.examples["delivered_ok"].order_no
    (info,) = _one(dujiaoka_shop, "SELECT info FROM orders WHERE order_sn = %s", sn)
    order = dujiaoka.get_order(sn)
    clear = [dujiaoka.reveal_card_key(sn, key.key_id) for key in order.delivery.card_keys]
    assert clear == str(info).splitlines()
    assert all(c not in repr(order) for c in clear)
    (sold,) = _one(dujiaoka_shop, "SELECT status FROM carmis WHERE carmi = %s", clear[0])
    assert sold == 2  # the carmi behind a delivered key is marked sold


def test_a_manual_order_shows_the_account_to_top_up_and_no_keys(
    dujiaoka: DujiaokaConnector, dujiaoka_shop: DujiaokaShop
) -> None:
    order = dujiaoka.get_order(dujiaoka_shop.examples["topup_delivered"].order_no)
    assert order.delivery.delivery_type == "direct_topup" and not order.delivery.card_keys
    assert order.delivery.target_account and order.delivery.target_account.startswith("充值账号")
    with pytest.raises(NotFound):
        dujiaoka.reveal_card_key(order.order_no, f"{order.order_no}-1")


def test_find_by_email_ignores_case_and_by_search_password_needs_the_right_one(
    dujiaoka: DujiaokaConnector, dujiaoka_shop: DujiaokaShop
) -> None:
    case = dujiaoka_shop.examples["delivered_ok"]
    assert case.contact is not None
    found = dujiaoka.find_orders(contact=case.contact.upper())
    assert case.order_no in [s.order_no for s in found] and len(found) == 3
    (pwd,) = _one(dujiaoka_shop, "SELECT search_pwd FROM orders WHERE order_sn = %s", case.order_no)
    if pwd:
        hits = dujiaoka.find_orders_by_search_password(case.contact, str(pwd))
        assert case.order_no in [s.order_no for s in hits]
    assert dujiaoka.find_orders_by_search_password(case.contact, "wrong-pwd") == []


def test_card_key_check_finds_the_order_of_a_sold_key_and_knows_unsold_stock(
    dujiaoka: DujiaokaConnector, dujiaoka_shop: DujiaokaShop
) -> None:
    sn = dujiaoka_shop.examples["key_used"].order_no
    order = dujiaoka.get_order(sn)
    clear = dujiaoka.reveal_card_key(sn, order.delivery.card_keys[0].key_id)
    check = dujiaoka.check_card_key(f"  {clear} ")
    assert (check.state, check.order_no) == ("unknown", sn)  # sold; redemption is not known
    assert check.product_name == order.items[0].product_name
    (unsold,) = _one(dujiaoka_shop, "SELECT carmi FROM carmis WHERE status = 1 AND is_loop = 0")
    fresh = dujiaoka.check_card_key(str(unsold))
    assert (fresh.state, fresh.order_no) == ("unused", None)
    assert dujiaoka.check_card_key("ZZZZ-ZZZZ-ZZZZ-ZZZZ").order_no is None


def test_refund_is_a_task_for_the_shop_owner_naming_gateway_and_trade_no(
    dujiaoka: DujiaokaConnector, dujiaoka_shop: DujiaokaShop
) -> None:
    order = dujiaoka.get_order(dujiaoka_shop.examples["delivered_ok"].order_no)
    with pytest.raises(ActionNotSupported) as caught:
        dujiaoka.refund(order.order_no, Decimal("5.00"), reason="卡密无效", idempotency_key="r1")
    assert caught.value.code == "action_needs_shop_owner"
    assert order.payments[0].trade_no in caught.value.task and "5.00" in caught.value.task
    with pytest.raises(StoreActionRefused) as unpaid:
        dujiaoka.refund(
            dujiaoka_shop.examples["unpaid"].order_no, None, reason="x", idempotency_key="r2"
        )
    assert unpaid.value.code == "order_not_paid"


def test_resend_names_the_keys_to_send_and_counts_each_key_once(
    dujiaoka: DujiaokaConnector, dujiaoka_shop: DujiaokaShop
) -> None:
    sn = dujiaoka_shop.examples["delivered_ok"].order_no
    first = dujiaoka.resend_delivery(sn, idempotency_key="s1")
    again = dujiaoka.resend_delivery(sn, idempotency_key="s1")
    assert again.replayed and again.reference == first.reference
    key_ids = first.detail["key_ids"].split(",")
    assert [k.key_id for k in dujiaoka.get_order(sn).delivery.card_keys] == key_ids
    assert dujiaoka.get_order(sn).delivery.resend_count == 1


def test_coupon_is_written_once_in_the_shop_and_valid_for_every_goods(
    dujiaoka: DujiaokaConnector, dujiaoka_shop: DujiaokaShop
) -> None:
    email = dujiaoka_shop.examples["delivered_ok"].contact
    first = dujiaoka.issue_coupon(
        shop_user_id=None,
        contact=email,
        amount=Decimal("3.50"),
        reason="超时补偿",
        idempotency_key="cp",
    )
    again = dujiaoka.issue_coupon(
        shop_user_id=None,
        contact=email,
        amount=Decimal("3.50"),
        reason="超时补偿",
        idempotency_key="cp",
    )
    assert again.replayed and again.reference == first.reference
    coupon_id, discount, ret = _one(
        dujiaoka_shop, "SELECT id, discount, ret FROM coupons WHERE coupon = %s", first.reference
    )
    assert (discount, ret) == (Decimal("3.50"), 1)
    (linked,) = _one(
        dujiaoka_shop, "SELECT COUNT(*) FROM coupons_goods WHERE coupons_id = %s", coupon_id
    )
    (goods,) = _one(dujiaoka_shop, "SELECT COUNT(*) FROM goods WHERE is_open = 1")
    assert linked == goods
    with pytest.raises(Conflict):
        dujiaoka.issue_coupon(
            shop_user_id=None,
            contact=email,
            amount=Decimal("9.00"),
            reason="x",
            idempotency_key="cp",
        )


def test_without_a_write_account_nothing_is_written_and_coupons_are_a_task(
    dujiaoka_shop: DujiaokaShop, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    connector = make_connector(dujiaoka_shop, tmp_path, write=False)
    assert "issue_coupon" not in capabilities_of(connector)
    (before,) = _one(dujiaoka_shop, "SELECT COUNT(*) FROM coupons")
    with pytest.raises(ActionNotSupported) as caught:
        connector.issue_coupon(
            shop_user_id=None,
            contact="a@qq.com",
            amount=Decimal("5"),
            reason="x",
            idempotency_key="k",
        )
    assert "优惠码" in caught.value.task
    assert _one(dujiaoka_shop, "SELECT COUNT(*) FROM coupons") == (before,)
    connector.close()


def test_since_is_compared_in_the_shops_wall_clock(
    dujiaoka: DujiaokaConnector, dujiaoka_shop: DujiaokaShop
) -> None:
    case = dujiaoka_shop.examples["delivered_ok"]
    order = dujiaoka.get_order(case.order_no)
    since = order.created_at.astimezone(ZoneInfo("UTC"))
    assert [s.order_no for s in dujiaoka.find_orders(contact=case.contact, since=since)] == [
        case.order_no
    ]
    later = since + timedelta(seconds=1)
    assert dujiaoka.find_orders(contact=case.contact, since=later) == []
