"""The demo-shop generator: deterministic, realistic in its mix, safe to run twice."""

from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from yiwen.core.clock import FixedClock, to_local
from yiwen.core.settings import Settings
from yiwen.store.connectors.demo.connector import DemoStoreConnector
from yiwen.store.connectors.demo.generator import CASES, run_seed, seed_demo_shop
from yiwen.store.connectors.demo.models import (
    ShopAccount,
    ShopCardKey,
    ShopOrder,
    ShopPayment,
)

TROUBLES = ("push_failed", "push_slow", "paid_not_delivered", "key_used", "wrong_region",
            "duplicate_payment", "refund_pending", "callback_missing")  # fmt: skip


def _fresh(tmp_path: Path, name: str, clock: FixedClock) -> DemoStoreConnector:
    return DemoStoreConnector.open(f"sqlite:///{tmp_path / name}", clock)


def _snapshot(connector: DemoStoreConnector) -> list[tuple[Any, ...]]:
    with connector.shop.database.reading() as session:
        orders = session.execute(
            select(ShopOrder.order_no, ShopOrder.amount, ShopOrder.status, ShopOrder.contact,
                   ShopOrder.created_at).order_by(ShopOrder.order_no)
        ).all()  # fmt: skip
        keys = session.execute(select(ShopCardKey.secret).order_by(ShopCardKey.key_id)).all()
    return [tuple(row) for row in [*orders, *keys]]


def test_the_same_seed_makes_the_same_shop(tmp_path: Path, clock: FixedClock) -> None:
    first, second, other = (_fresh(tmp_path, f"{n}.db", clock) for n in ("a", "b", "c"))
    seed_demo_shop(first, orders=300, seed=11)
    seed_demo_shop(second, orders=300, seed=11)
    seed_demo_shop(other, orders=300, seed=12)
    assert _snapshot(first) == _snapshot(second)
    assert _snapshot(first) != _snapshot(other)
    assert first.example_orders() == second.example_orders()


def test_seeding_again_is_a_no_op_unless_reset(tmp_path: Path, clock: FixedClock) -> None:
    shop = _fresh(tmp_path, "shop.db", clock)
    seed_demo_shop(shop, orders=100)
    order_no = shop.example_orders()["topup_delivered"].order_no
    shop.freeze_account("200001", reason="测试", idempotency_key="f")
    assert seed_demo_shop(shop, orders=500) == {"seeded": False, "orders": 100}
    assert shop.get_account("200001").frozen is True
    summary = seed_demo_shop(shop, orders=120, seed=3, reset=True)
    assert summary["seeded"] is True and shop.shop.order_count() == 120
    assert shop.find_orders(order_no=order_no) == []


def test_every_case_appears_and_troubles_are_a_few_percent(
    tmp_path: Path, clock: FixedClock
) -> None:
    shop = _fresh(tmp_path, "shop.db", clock)
    summary = seed_demo_shop(shop, orders=3000)
    cases = Counter(summary["cases"])
    assert set(cases) == set(CASES) and sum(cases.values()) == 3000
    for trouble in TROUBLES:
        assert 0.005 <= cases[trouble] / 3000 <= 0.06, trouble
    assert cases["delivered_ok"] + cases["topup_delivered"] > 0.6 * 3000
    assert summary["shop_users"] == 2400
    assert set(shop.example_orders()) == set(CASES)


def test_a_tiny_shop_still_has_every_case(tmp_path: Path, clock: FixedClock) -> None:
    shop = _fresh(tmp_path, "shop.db", clock)
    seed_demo_shop(shop, orders=len(CASES))
    assert set(shop.example_orders()) == set(CASES)


def test_order_numbers_come_in_both_formats_the_connector_recognises(
    demo: DemoStoreConnector,
) -> None:
    dujiaoka, dated = (re.compile(p) for p in demo.order_no_patterns)
    with demo.shop.database.reading() as session:
        orders = session.execute(select(ShopOrder.order_no, ShopOrder.created_at)).all()
    kinds = Counter()
    for order_no, created_at in orders:
        if dated.fullmatch(order_no):
            kinds["dated"] += 1
            assert order_no[:14] == f"{to_local(created_at):%Y%m%d%H%M%S}"
        else:
            assert dujiaoka.fullmatch(order_no), order_no
            kinds["dujiaoka"] += 1
    assert min(kinds.values()) > len(orders) // 4


def test_contacts_look_like_chinese_phones_and_emails(demo: DemoStoreConnector) -> None:
    with demo.shop.database.reading() as session:
        accounts = session.execute(select(ShopAccount.phone, ShopAccount.email)).all()
    phones = [phone for phone, _ in accounts if phone]
    emails = [email for _, email in accounts if email]
    assert all(re.fullmatch(r"1[3-9]\d{9}", p) for p in phones)
    assert all(re.fullmatch(r"[a-z0-9]+@[a-z0-9.]+\.(com|cn)", e) for e in emails)
    assert len(set(phones)) == len(phones) and len(phones) > len(accounts) // 2
    assert all(phone or email for phone, email in accounts)


def test_alipay_and_wechat_dominate_payments(demo: DemoStoreConnector) -> None:
    with demo.shop.database.reading() as session:
        methods = Counter(session.scalars(select(ShopPayment.method)).all())
    total = sum(methods.values())
    assert (methods["alipay"] + methods["wechat"]) / total > 0.75
    assert {"qq_wallet", "bank_card", "usdt", "balance"} <= set(methods)


def test_generated_times_stay_in_the_window_and_before_now(demo: DemoStoreConnector) -> None:
    now = demo.shop.clock.now()
    with demo.shop.database.reading() as session:
        orders = session.scalars(select(ShopOrder)).all()
        assert all(now - timedelta(days=91) <= o.created_at < now for o in orders)
        assert all(o.paid_at is None or o.created_at < o.paid_at < now for o in orders)
        assert all(o.delivered_at is None or o.delivered_at <= now for o in orders)


def test_run_seed_reports_figures_and_examples(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "var", database_url="sqlite://", secret_key="x")
    figures = run_seed(settings, orders=60, days=30, seed=5, reset=False)
    assert figures["seeded"] is True and figures["orders"] == 60
    assert set(figures["examples"]) == set(CASES)
    assert run_seed(settings, orders=60, days=30, seed=5, reset=False)["seeded"] is False


def test_nonsense_sizes_are_refused(tmp_path: Path, clock: FixedClock) -> None:
    with pytest.raises(ValueError):
        seed_demo_shop(_fresh(tmp_path, "shop.db", clock), orders=10, days=0)
