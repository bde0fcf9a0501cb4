"""Demo-shop behaviour beyond the contract: supplier timing, failure injection, money rules."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from yiwen.core.clock import FixedClock
from yiwen.core.i18n import has_message, translate
from yiwen.core.settings import Settings
from yiwen.store.connectors.demo.connector import DemoStoreConnector
from yiwen.store.connectors.demo.models import Product, ShopOrder, ShopPayment, Supplier
from yiwen.store.connectors.demo.upstream import SUPERSEDED_ERROR, SUPPLIER_ERRORS
from yiwen.store.protocol import Order, StoreActionRefused
from yiwen.store.registry import build_store


def _supplier_order(demo: DemoStoreConnector, case: str, delivery_type: str) -> str:
    """An order of ``case`` whose product is delivered as ``delivery_type`` through a supplier."""
    with demo.shop.database.reading() as session:
        order_no = session.scalars(
            select(ShopOrder.order_no)
            .join(Product, Product.product_id == ShopOrder.product_id)
            .where(ShopOrder.scenario == case, Product.delivery_type == delivery_type)
            .order_by(ShopOrder.order_no)
            .limit(1)
        ).first()
    assert order_no is not None, f"the template shop has no {case} {delivery_type} order"
    return order_no


def _supplier_id(demo: DemoStoreConnector, order_no: str) -> str:
    with demo.shop.database.reading() as session:
        order = session.get_one(ShopOrder, order_no)
        assert order.supplier_id is not None
        return order.supplier_id


def _repush(demo: DemoStoreConnector, order_no: str, key: str) -> Order:
    demo.repush_upstream(order_no, idempotency_key=key)
    return demo.get_order(order_no)


def test_a_slow_push_completes_when_read_after_its_answer_time(
    demo: DemoStoreConnector, clock: FixedClock
) -> None:
    order_no = demo.example_orders()["push_slow"].order_no
    assert demo.get_order(order_no).delivery.status == "processing"
    clock.advance(timedelta(hours=1))
    order = demo.get_order(order_no)
    assert order.upstream_pushes[-1].status == "succeeded"
    assert (order.status, order.delivery.status) == ("delivered", "delivered")
    assert order.delivery.delivered_at is not None and order.delivery.delivered_at <= clock.now()


def test_a_card_key_push_delivers_one_key_per_unit_when_it_succeeds(
    demo: DemoStoreConnector, clock: FixedClock
) -> None:
    order_no = _supplier_order(demo, "push_failed", "card_key")
    demo.shop.set_supplier_behaviour(_supplier_id(demo, order_no), latency_seconds=20)
    demo.shop.force_next_push_outcome(_supplier_id(demo, order_no), "succeeded")
    pending = _repush(demo, order_no, "repush")
    assert pending.delivery.card_keys == ()
    clock.advance(timedelta(seconds=9))  # latency is 0.5x to 1.5x of 20 s
    assert demo.get_order(order_no).delivery.status == "processing"
    clock.advance(timedelta(seconds=22))
    order = demo.get_order(order_no)
    assert order.status == "delivered"
    assert len(order.delivery.card_keys) == order.items[0].quantity
    assert {k.state for k in order.delivery.card_keys} == {"unused"}
    demo.resend_delivery(order_no, idempotency_key="resend")


def test_a_supplier_that_always_fails_fails_the_order_with_its_error(
    demo: DemoStoreConnector, clock: FixedClock
) -> None:
    order_no = _supplier_order(demo, "paid_not_delivered", "direct_topup")
    demo.shop.set_supplier_behaviour(_supplier_id(demo, order_no), failure_rate=1.0)
    _repush(demo, order_no, "repush")
    clock.advance(timedelta(hours=1))
    order = demo.get_order(order_no)
    assert (order.status, order.delivery.status) == ("delivery_failed", "failed")
    assert order.upstream_pushes[-1].error in SUPPLIER_ERRORS
    assert order.upstream_pushes[0].status == "failed"  # the never-sent push is voided


def test_a_forced_outcome_applies_to_the_next_push_only(
    demo: DemoStoreConnector, clock: FixedClock
) -> None:
    order_no = _supplier_order(demo, "push_failed", "direct_topup")
    supplier = _supplier_id(demo, order_no)
    demo.shop.set_supplier_behaviour(supplier, failure_rate=0.0, latency_seconds=10)
    demo.shop.force_next_push_outcome(supplier, "failed")
    _repush(demo, order_no, "first")
    clock.advance(timedelta(minutes=1))
    assert demo.get_order(order_no).status == "delivery_failed"
    _repush(demo, order_no, "second")
    clock.advance(timedelta(minutes=1))
    assert demo.get_order(order_no).status == "delivered"


def test_a_stuck_push_may_be_pushed_again_but_a_running_one_may_not(
    demo: DemoStoreConnector, clock: FixedClock
) -> None:
    order_no = _supplier_order(demo, "push_failed", "direct_topup")
    supplier = _supplier_id(demo, order_no)
    demo.shop.set_supplier_behaviour(supplier, latency_seconds=30)
    demo.shop.force_next_push_outcome(supplier, "slow")
    slow = _repush(demo, order_no, "slow")
    with pytest.raises(StoreActionRefused) as caught:
        demo.repush_upstream(order_no, idempotency_key="too-early")
    assert caught.value.code == "delivery_in_progress"
    clock.advance(timedelta(minutes=11))  # stuck after 10 min, answers after 30 min at least
    assert demo.get_order(order_no).delivery.status == "processing"
    again = _repush(demo, order_no, "again")
    voided = next(p for p in again.upstream_pushes if p.push_id == slow.upstream_pushes[-1].push_id)
    assert (voided.status, voided.error) == ("failed", SUPERSEDED_ERROR)
    assert again.upstream_pushes[-1].attempt == voided.attempt + 1


def test_a_refund_waits_for_a_push_in_progress(demo: DemoStoreConnector) -> None:
    order_no = demo.example_orders()["push_slow"].order_no
    with pytest.raises(StoreActionRefused) as caught:
        demo.refund(order_no, None, reason="客户申请退款", idempotency_key="r")
    assert caught.value.code == "delivery_in_progress"


def test_set_supplier_behaviour_is_stored_and_validated(demo: DemoStoreConnector) -> None:
    demo.shop.set_supplier_behaviour("速充科技", failure_rate=0.5, latency_seconds=7)
    with demo.shop.database.reading() as session:
        row = session.scalars(select(Supplier).where(Supplier.name == "速充科技")).one()
        assert (row.failure_rate, row.latency_seconds) == (0.5, 7)
    with pytest.raises(ValueError):
        demo.shop.set_supplier_behaviour("速充科技", failure_rate=1.5)
    with pytest.raises(ValueError):
        demo.shop.force_next_push_outcome("no-such-supplier", "failed")


def test_a_full_refund_voids_the_unused_keys(demo: DemoStoreConnector) -> None:
    order = demo.get_order(demo.example_orders()["wrong_region"].order_no)
    clear = demo.reveal_card_key(order.order_no, order.delivery.card_keys[0].key_id)
    demo.refund(order.order_no, None, reason="区服不符，退款", idempotency_key="r")
    assert demo.check_card_key(clear).state == "invalid"
    with pytest.raises(StoreActionRefused):
        demo.resend_delivery(order.order_no, idempotency_key="resend")


def test_a_duplicate_charge_is_refunded_first_and_leaves_the_order_delivered(
    demo: DemoStoreConnector,
) -> None:
    order_no = demo.example_orders()["duplicate_payment"].order_no
    before = demo.get_order(order_no)
    assert [p.status for p in before.payments] == ["paid", "paid"]
    demo.refund(order_no, before.amount, reason="重复扣款退回", idempotency_key="dup")
    after = demo.get_order(order_no)
    assert (after.status, after.refunded_amount) == ("delivered", Decimal("0.00"))
    assert [p.status for p in after.payments] == ["paid", "refunded"]


def test_a_pending_refund_leaves_nothing_to_refund(demo: DemoStoreConnector) -> None:
    order_no = demo.example_orders()["refund_pending"].order_no
    order = demo.get_order(order_no)
    assert order.status == "refunded" and order.payments[0].status == "paid"
    with pytest.raises(StoreActionRefused) as caught:
        demo.refund(order_no, None, reason="催退款", idempotency_key="again")
    assert caught.value.code == "nothing_to_refund"


def test_a_balance_payment_is_refunded_to_the_shop_balance(demo: DemoStoreConnector) -> None:
    with demo.shop.database.reading() as session:
        order_no, user = session.execute(
            select(ShopOrder.order_no, ShopOrder.shop_user_id)
            .join(ShopPayment)
            .where(ShopPayment.method == "balance", ShopOrder.status == "delivered")
            .order_by(ShopOrder.order_no)
            .limit(1)
        ).one()
    before = demo.get_account(user).balance
    demo.refund(order_no, Decimal("3.21"), reason="补差价", idempotency_key="bal")
    assert demo.get_account(user).balance == before + Decimal("3.21")


def test_callback_missing_shows_a_paid_payment_on_an_unpaid_order(
    demo: DemoStoreConnector,
) -> None:
    order = demo.get_order(demo.example_orders()["callback_missing"].order_no)
    assert (order.status, order.paid_at) == ("pending_payment", None)
    (payment,) = order.payments
    assert (payment.status, payment.callback_received) == ("paid", False)
    assert payment.trade_no or payment.method == "balance"


def test_money_is_decimal_with_two_places(demo: DemoStoreConnector) -> None:
    order = demo.get_order(demo.example_orders()["duplicate_payment"].order_no)
    amounts = [order.amount, order.refunded_amount, *(p.amount for p in order.payments)]
    amounts.append(order.items[0].unit_price)
    assert order.shop_user_id is not None
    amounts.append(demo.get_account(order.shop_user_id).balance)
    for amount in amounts:
        assert type(amount) is Decimal and amount.as_tuple().exponent == -2


def test_the_same_key_from_many_threads_refunds_once(demo: DemoStoreConnector) -> None:
    order_no = demo.example_orders()["topup_delivered"].order_no
    references: list[str] = []

    def refund() -> None:
        result = demo.refund(order_no, Decimal("1.00"), reason="并发", idempotency_key="same")
        references.append(result.reference)

    threads = [threading.Thread(target=refund) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(references) == 6 and len(set(references)) == 1
    assert demo.get_order(order_no).refunded_amount == Decimal("1.00")


def test_the_registry_builds_the_demo_shop_in_the_data_dir(
    tmp_path: Path, clock: FixedClock
) -> None:
    settings = Settings(data_dir=tmp_path / "var", database_url="sqlite://", secret_key="x")
    store = build_store(settings, clock)
    assert isinstance(store, DemoStoreConnector)
    assert (tmp_path / "var" / "demo_shop.db").exists()
    assert store.find_orders(contact="13800000000") == []
    store.close()


def test_every_store_error_code_has_chinese_text() -> None:
    codes = (
        "order_not_found", "account_not_found", "refund_exceeds_refundable", "nothing_to_refund",
        "order_not_paid", "nothing_to_resend", "push_not_applicable", "card_key_not_found",
        "invalid_amount", "idempotency_key_reused", "delivery_in_progress", "order_query_empty",
        "coupon_needs_recipient", "invalid_idempotency_key", "action_reason_required",
    )  # fmt: skip
    for code in codes:
        assert has_message(code), code
        assert translate(code) != translate(code, "en")
    assert "12.00" in translate("refund_exceeds_refundable", amount="12.00", refundable="10.00")
