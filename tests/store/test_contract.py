"""The contract every StoreConnector must meet, run against each connector in ``CONNECTORS``.

Plugging in a new connector (dujiaoka, the signed HTTP connector…):

1. write a factory ``def make_<name>_harness(request: pytest.FixtureRequest) -> Harness``
   that starts the shop it talks to with test data (e.g. a dujiaoka database
   loaded from recorded rows, or a loopback HTTP server replaying recorded
   payloads) and returns the connector plus ``example``: a function from a case
   name to an order of that case (order_no, contact, shop_user_id);
2. provide an order for every name in ``REQUIRED_CASES``;
3. add the factory to ``HARNESSES`` and its name to ``CONNECTORS``.

The tests use only the StoreConnector protocol, so they prove the behaviour the
bot and the agent workbench rely on, whatever the shop runs on.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

import pytest

from tests.store.dujiaoka.fixtures import dujiaoka_shop  # noqa: F401  (fixture)
from tests.store.http.fixtures import http_reference  # noqa: F401  (fixture)
from yiwen.core.errors import Conflict, InvalidInput, NotFound
from yiwen.store.connectors.demo.connector import DemoStoreConnector
from yiwen.store.protocol import (
    AccountNotFound,
    ActionNotSupported,
    OrderNotFound,
    StoreActionRefused,
    StoreConnector,
    capabilities_of,
)

# delivered_ok: a paid card-key order, delivered, bought by a logged-in shop user;
# topup_delivered: a delivered direct top-up; push_failed: a supplier refused it;
# key_used: its first key was already redeemed; wrong_region: an unused key;
# unpaid: never paid.
REQUIRED_CASES = (
    "delivered_ok",
    "topup_delivered",
    "push_failed",
    "key_used",
    "wrong_region",
    "unpaid",
)


class ExampleCase(Protocol):
    @property
    def order_no(self) -> str: ...
    @property
    def contact(self) -> str | None: ...
    @property
    def shop_user_id(self) -> str | None: ...


@dataclass
class Harness:
    connector: StoreConnector
    example: Callable[[str], ExampleCase]


def make_demo_harness(request: pytest.FixtureRequest) -> Harness:
    connector: DemoStoreConnector = request.getfixturevalue("demo")
    examples = connector.example_orders()
    return Harness(connector=connector, example=examples.__getitem__)


def make_dujiaoka_harness(request: pytest.FixtureRequest) -> Harness:
    from tests.store.dujiaoka.fixtures import make_connector

    shop = request.getfixturevalue("dujiaoka_shop")
    connector = make_connector(shop, request.getfixturevalue("tmp_path"))
    request.addfinalizer(connector.close)
    return Harness(connector=connector, example=shop.examples.__getitem__)


def make_http_harness(request: pytest.FixtureRequest) -> Harness:
    reference = request.getfixturevalue("http_reference")
    return Harness(connector=reference.connector, example=reference.examples.__getitem__)


HARNESSES: dict[str, Callable[[pytest.FixtureRequest], Harness]] = {
    "demo": make_demo_harness,
    "dujiaoka": make_dujiaoka_harness,
    "http": make_http_harness,
}
CONNECTORS = ["demo", "dujiaoka", "http"]


@pytest.fixture(params=CONNECTORS)
def harness(request: pytest.FixtureRequest) -> Harness:
    return HARNESSES[request.param](request)


@pytest.fixture
def connector(harness: Harness) -> StoreConnector:
    return harness.connector


def require(harness: Harness, capability: str) -> None:
    """Tests of an action run where the connector declares it; see the refusal test below."""
    if capability not in capabilities_of(harness.connector):
        pytest.skip(f"{harness.connector.name} declares no {capability}")


def test_undeclared_actions_are_refused_with_a_task_and_change_nothing(harness: Harness) -> None:
    c = harness.connector
    case = harness.example("delivered_ok")
    user = case.shop_user_id or ""
    calls = {
        "refund": lambda: c.refund(case.order_no, None, reason="退款", idempotency_key="u1"),
        "repush_upstream": lambda: c.repush_upstream(case.order_no, idempotency_key="u2"),
        "resend_delivery": lambda: c.resend_delivery(case.order_no, idempotency_key="u3"),
        "freeze_account": lambda: c.freeze_account(user, reason="x", idempotency_key="u4"),
        "unfreeze_account": lambda: c.unfreeze_account(user, reason="x", idempotency_key="u5"),
        "accounts": lambda: c.get_account(user),
        "issue_coupon": lambda: c.issue_coupon(
            shop_user_id=user, contact=None, amount=Decimal("1"), reason="x", idempotency_key="u6"
        ),
        "replace_card_key": lambda: c.replace_card_key(
            case.order_no, f"{case.order_no}-1", reason="x", idempotency_key="u7"
        ),
    }
    missing = sorted(set(calls) - capabilities_of(c))
    if not missing:
        pytest.skip(f"{c.name} declares every action")
    before = c.get_order(case.order_no)
    for action in missing:
        with pytest.raises(ActionNotSupported) as caught:
            calls[action]()
        assert caught.value.code == "action_needs_shop_owner" and caught.value.task
    assert c.get_order(case.order_no) == before


def test_every_required_case_has_an_example(harness: Harness) -> None:
    for case in REQUIRED_CASES:
        assert harness.connector.get_order(harness.example(case).order_no).order_no


def test_find_by_order_no_returns_exactly_that_order(harness: Harness) -> None:
    case = harness.example("delivered_ok")
    found = harness.connector.find_orders(order_no=case.order_no)
    assert [s.order_no for s in found] == [case.order_no]
    assert found[0] == harness.connector.get_order(case.order_no).summary()


def test_find_by_contact_returns_only_that_contacts_orders_newest_first(harness: Harness) -> None:
    case = harness.example("delivered_ok")
    assert case.contact is not None
    found = harness.connector.find_orders(contact=case.contact)
    assert case.order_no in [s.order_no for s in found]
    assert {s.contact for s in found} == {case.contact}
    times = [s.created_at for s in found]
    assert times == sorted(times, reverse=True)


def test_find_by_shop_user_respects_since_and_limit(harness: Harness) -> None:
    case = harness.example("delivered_ok")
    assert case.shop_user_id is not None
    everything = harness.connector.find_orders(shop_user_id=case.shop_user_id, limit=200)
    assert case.order_no in [s.order_no for s in everything]
    assert {s.shop_user_id for s in everything} == {case.shop_user_id}
    order = harness.connector.get_order(case.order_no)
    recent = harness.connector.find_orders(shop_user_id=case.shop_user_id, since=order.created_at)
    assert case.order_no in [s.order_no for s in recent]
    assert all(s.created_at >= order.created_at for s in recent)
    assert len(harness.connector.find_orders(shop_user_id=case.shop_user_id, limit=1)) == 1


def test_unknown_order_is_not_found(connector: StoreConnector) -> None:
    with pytest.raises(OrderNotFound) as caught:
        connector.get_order("NOSUCHORDER00000")
    assert caught.value.code == "order_not_found"
    assert connector.find_orders(order_no="NOSUCHORDER00000") == []
    with pytest.raises(OrderNotFound):
        connector.reveal_card_key("NOSUCHORDER00000", "K1")
    with pytest.raises(OrderNotFound):
        connector.refund("NOSUCHORDER00000", None, reason="测试", idempotency_key="k-unknown")


def test_order_numbers_match_the_connectors_patterns(harness: Harness) -> None:
    patterns = [re.compile(p) for p in harness.connector.order_no_patterns]
    for case in REQUIRED_CASES:
        order_no = harness.example(case).order_no
        assert any(p.fullmatch(order_no) for p in patterns), order_no
    for not_an_order in ("13812345678", "someone@qq.com", "退款"):
        assert not any(p.fullmatch(not_an_order) for p in patterns), not_an_order


def test_get_order_never_shows_a_clear_card_key(harness: Harness) -> None:
    order = harness.connector.get_order(harness.example("delivered_ok").order_no)
    assert order.delivery.card_keys
    shown = repr(order)
    for key in order.delivery.card_keys:
        clear = harness.connector.reveal_card_key(order.order_no, key.key_id)
        assert len(clear) > 8
        assert key.masked != clear
        assert clear not in shown
        assert key.masked.startswith(clear[:4]) and key.masked.endswith(clear[-4:])


def test_a_key_of_another_order_cannot_be_revealed(harness: Harness) -> None:
    key = harness.connector.get_order(harness.example("delivered_ok").order_no)
    other = harness.example("key_used").order_no
    with pytest.raises(NotFound):
        harness.connector.reveal_card_key(other, key.delivery.card_keys[0].key_id)


def test_refund_with_the_same_key_twice_moves_money_once(harness: Harness) -> None:
    require(harness, "refund")
    order_no = harness.example("topup_delivered").order_no
    first = harness.connector.refund(
        order_no, Decimal("1.00"), reason="补偿差价", idempotency_key="refund-1"
    )
    again = harness.connector.refund(
        order_no, Decimal("1.00"), reason="补偿差价", idempotency_key="refund-1"
    )
    assert (first.replayed, again.replayed) == (False, True)
    assert again.reference == first.reference and again.amount == Decimal("1.00")
    order = harness.connector.get_order(order_no)
    assert order.refunded_amount == Decimal("1.00")
    assert order.status == "partially_refunded"


def test_refund_above_refundable_is_refused_and_changes_nothing(harness: Harness) -> None:
    require(harness, "refund")
    order_no = harness.example("topup_delivered").order_no
    before = harness.connector.get_order(order_no)
    with pytest.raises(StoreActionRefused) as caught:
        harness.connector.refund(
            order_no, before.amount + Decimal("0.01"), reason="退款", idempotency_key="too-much"
        )
    assert caught.value.code == "refund_exceeds_refundable"
    assert harness.connector.get_order(order_no) == before


def test_partial_refund_then_the_rest_then_nothing_left(harness: Harness) -> None:
    require(harness, "refund")
    order_no = harness.example("topup_delivered").order_no
    amount = harness.connector.get_order(order_no).amount
    harness.connector.refund(order_no, Decimal("0.50"), reason="部分退款", idempotency_key="p1")
    middle = harness.connector.get_order(order_no)
    assert middle.status == "partially_refunded"
    assert middle.refundable_amount == amount - Decimal("0.50")
    rest = harness.connector.refund(order_no, None, reason="全部退款", idempotency_key="p2")
    assert rest.amount == amount - Decimal("0.50")
    final = harness.connector.get_order(order_no)
    assert (final.status, final.refunded_amount) == ("refunded", amount)
    with pytest.raises(StoreActionRefused) as caught:
        harness.connector.refund(order_no, None, reason="再退", idempotency_key="p3")
    assert caught.value.code == "nothing_to_refund"


def test_an_unpaid_order_cannot_be_refunded(harness: Harness) -> None:
    require(harness, "refund")
    with pytest.raises(StoreActionRefused) as caught:
        harness.connector.refund(
            harness.example("unpaid").order_no, None, reason="退款", idempotency_key="unpaid"
        )
    assert caught.value.code == "order_not_paid"


@pytest.mark.parametrize("amount", ["0", "-5.00", "0.001", "NaN"])
def test_refund_amount_must_be_positive_cents(harness: Harness, amount: str) -> None:
    require(harness, "refund")
    order_no = harness.example("topup_delivered").order_no
    with pytest.raises(InvalidInput) as caught:
        harness.connector.refund(order_no, Decimal(amount), reason="退款", idempotency_key="bad")
    assert caught.value.code == "invalid_amount"
    assert harness.connector.get_order(order_no).refunded_amount == Decimal("0.00")


def test_a_key_reused_for_a_different_request_conflicts(harness: Harness) -> None:
    require(harness, "refund")
    case = harness.example("topup_delivered")
    harness.connector.refund(case.order_no, Decimal("1.00"), reason="退款", idempotency_key="k")
    with pytest.raises(Conflict) as caught:
        harness.connector.refund(case.order_no, Decimal("2.00"), reason="退款", idempotency_key="k")
    assert caught.value.code == "idempotency_key_reused"
    with pytest.raises(Conflict):
        harness.connector.issue_coupon(
            shop_user_id=None,
            contact=case.contact,
            amount=Decimal("1.00"),
            reason="补偿",
            idempotency_key="k",
        )
    assert harness.connector.get_order(case.order_no).refunded_amount == Decimal("1.00")


def test_resend_delivery_resends_delivered_card_keys_once_per_key(harness: Harness) -> None:
    require(harness, "resend_delivery")
    order_no = harness.example("delivered_ok").order_no
    before = harness.connector.get_order(order_no).delivery.resend_count
    first = harness.connector.resend_delivery(order_no, idempotency_key="resend-1")
    replay = harness.connector.resend_delivery(order_no, idempotency_key="resend-1")
    assert first.status == "done" and replay.replayed and replay.reference == first.reference
    assert harness.connector.get_order(order_no).delivery.resend_count == before + 1
    harness.connector.resend_delivery(order_no, idempotency_key="resend-2")
    assert harness.connector.get_order(order_no).delivery.resend_count == before + 2


@pytest.mark.parametrize("case", ["topup_delivered", "push_failed", "unpaid"])
def test_resend_is_refused_without_delivered_card_keys(harness: Harness, case: str) -> None:
    require(harness, "resend_delivery")
    with pytest.raises(StoreActionRefused) as caught:
        harness.connector.resend_delivery(harness.example(case).order_no, idempotency_key="r")
    assert caught.value.code == "nothing_to_resend"


def test_repush_after_a_failed_push_starts_a_new_attempt(harness: Harness) -> None:
    require(harness, "repush_upstream")
    order_no = harness.example("push_failed").order_no
    before = harness.connector.get_order(order_no)
    assert before.delivery.status == "failed"
    result = harness.connector.repush_upstream(order_no, idempotency_key="repush-1")
    replay = harness.connector.repush_upstream(order_no, idempotency_key="repush-1")
    assert result.status == "processing" and replay.reference == result.reference
    after = harness.connector.get_order(order_no)
    assert len(after.upstream_pushes) == len(before.upstream_pushes) + 1
    latest = after.upstream_pushes[-1]
    assert (latest.push_id, latest.status) == (result.reference, "processing")
    assert latest.attempt == before.upstream_pushes[-1].attempt + 1
    assert (after.status, after.delivery.status) == ("delivering", "processing")


@pytest.mark.parametrize("case", ["topup_delivered", "delivered_ok", "unpaid"])
def test_repush_is_refused_when_there_is_nothing_to_push(harness: Harness, case: str) -> None:
    require(harness, "repush_upstream")
    order_no = harness.example(case).order_no
    before = harness.connector.get_order(order_no)
    with pytest.raises(StoreActionRefused) as caught:
        harness.connector.repush_upstream(order_no, idempotency_key="repush")
    assert caught.value.code == "push_not_applicable"
    assert harness.connector.get_order(order_no) == before


def test_check_card_key_tells_used_from_unused_and_unknown(harness: Harness) -> None:
    require(harness, "card_key_state")
    used = harness.connector.get_order(harness.example("key_used").order_no)
    clear = harness.connector.reveal_card_key(used.order_no, used.delivery.card_keys[0].key_id)
    check = harness.connector.check_card_key(clear)
    assert (check.state, check.order_no) == ("used", used.order_no)
    assert check.product_name == used.items[0].product_name and check.used_at is not None
    fresh = harness.connector.get_order(harness.example("wrong_region").order_no)
    clear = harness.connector.reveal_card_key(fresh.order_no, fresh.delivery.card_keys[0].key_id)
    pasted = f"  {clear.replace('-', ' ').lower()} "
    assert harness.connector.check_card_key(pasted).state == "unused"
    unknown = harness.connector.check_card_key("ZZZZ-ZZZZ-ZZZZ-ZZZZ")
    assert (unknown.state, unknown.order_no) == ("unknown", None)


def test_freezing_twice_is_a_quiet_success_and_unfreeze_restores(harness: Harness) -> None:
    require(harness, "freeze_account")
    user = harness.example("delivered_ok").shop_user_id
    assert user is not None
    assert harness.connector.get_account(user).frozen is False
    harness.connector.freeze_account(user, reason="疑似盗号", idempotency_key="f1")
    second = harness.connector.freeze_account(user, reason="疑似盗号", idempotency_key="f2")
    assert second.status == "done" and not second.replayed
    assert harness.connector.get_account(user).frozen is True
    harness.connector.unfreeze_account(user, reason="本人核实", idempotency_key="u1")
    assert harness.connector.get_account(user).frozen is False
    with pytest.raises(AccountNotFound):
        harness.connector.freeze_account("no-such-user", reason="x", idempotency_key="f3")


def test_coupon_issue_is_idempotent(harness: Harness) -> None:
    require(harness, "issue_coupon")
    user = harness.example("delivered_ok").shop_user_id
    first = harness.connector.issue_coupon(
        shop_user_id=user,
        contact=None,
        amount=Decimal("5.00"),
        reason="超时补偿",
        idempotency_key="c1",
    )
    again = harness.connector.issue_coupon(
        shop_user_id=user,
        contact=None,
        amount=Decimal("5.00"),
        reason="超时补偿",
        idempotency_key="c1",
    )
    assert again.replayed and again.reference == first.reference
    other = harness.connector.issue_coupon(
        shop_user_id=user,
        contact=None,
        amount=Decimal("5.00"),
        reason="超时补偿",
        idempotency_key="c2",
    )
    assert other.reference != first.reference and other.amount == Decimal("5.00")


def test_coupon_needs_a_known_recipient(harness: Harness) -> None:
    require(harness, "issue_coupon")
    connector = harness.connector
    with pytest.raises(InvalidInput):
        connector.issue_coupon(
            shop_user_id=None, contact=None, amount=Decimal("5"), reason="补偿", idempotency_key="c"
        )
    with pytest.raises(AccountNotFound):
        connector.issue_coupon(
            shop_user_id="no-such-user",
            contact=None,
            amount=Decimal("5"),
            reason="补偿",
            idempotency_key="c",
        )


def test_replacing_a_dead_key_gives_one_fresh_key_per_idempotency_key(harness: Harness) -> None:
    require(harness, "replace_card_key")
    c = harness.connector
    case = harness.example("key_used")
    dead = c.get_order(case.order_no).delivery.card_keys[0]
    first = c.replace_card_key(
        case.order_no, dead.key_id, reason="卡密已被使用", idempotency_key="rk"
    )
    again = c.replace_card_key(case.order_no, dead.key_id, reason="重试", idempotency_key="rk")
    assert not first.replayed and again.replayed
    assert first.detail["key_id"] == again.detail["key_id"]
    keys = {k.key_id: k for k in c.get_order(case.order_no).delivery.card_keys}
    assert keys[dead.key_id].state == "invalid"
    fresh = keys[first.detail["key_id"]]
    assert fresh.state != "invalid" and "****" in fresh.masked
    clear = c.reveal_card_key(case.order_no, fresh.key_id)
    assert clear != c.reveal_card_key(case.order_no, dead.key_id)
    assert len(keys) == len(c.get_order(case.order_no).delivery.card_keys)  # no second key
    with pytest.raises(StoreActionRefused):  # the same dead key again, under another key
        c.replace_card_key(case.order_no, dead.key_id, reason="再换", idempotency_key="rk2")
