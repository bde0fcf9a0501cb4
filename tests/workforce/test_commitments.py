"""The public service-commitment page against figures worked out by hand.

The desk's tickets and a shop of its own (the embedded demo shop, empty, with
a handful of orders, pushes and payments written into its database as the shop
would have them) are laid out around the test clock's now (2026-11-22 10:00,
Asia/Shanghai); every expected number below is derived in the comments.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.conftest import NOW
from yiwen.core.clock import FixedClock, as_utc
from yiwen.core.db import Database
from yiwen.core.settings import Settings
from yiwen.customers.service import find_or_create_customer
from yiwen.proactive.announcements.models import Announcement
from yiwen.store.connectors.demo.connector import DemoStoreConnector
from yiwen.store.connectors.demo.models import (
    Product,
    ShopOrder,
    ShopPayment,
    Supplier,
    UpstreamPushRow,
)
from yiwen.tickets.models import Ticket

M = timedelta(minutes=1)
H = timedelta(hours=1)
D = timedelta(days=1)

# (number, category, created before now, first response after, resolved after, own deadline)
# First response is promised in 30 min (the default SLA policy), card keys fixed in
# 60 min (card_invalid), refunds in 24 h (the default resolution).
TICKETS = [
    ("T1", "other", 1 * D, 10 * M, None, None),  # answered in 600 s: kept
    ("T2", "other", 2 * D, 20 * M, None, None),  # 1200 s: kept
    ("T3", "other", 3 * D, 50 * M, None, None),  # 3000 s: broken
    ("T4", "other", 10 * M, None, None, None),  # 30 min not up yet: undecided
    ("T5", "other", 2 * H, None, None, None),  # unanswered past 30 min: broken
    ("T6", "other", 10 * D, 5 * M, None, None),  # 300 s: kept
    ("T7", "other", 20 * D, 40 * M, None, 60 * M),  # 2400 s, own deadline 60 min: kept
    ("T8", "other", 40 * D, 5 * M, None, None),  # outside 30 days
    ("C1", "card_invalid", 1 * D, 5 * M, 40 * M, None),  # fixed in 2400 s: kept
    ("C2", "card_invalid", 5 * D, 5 * M, 90 * M, None),  # 5400 s: broken
    ("C3", "card_invalid", 15 * D, 5 * M, 30 * M, None),  # 1800 s: kept
    ("R1", "refund_request", 2 * D, 5 * M, 6 * H, None),  # 21600 s: kept
    ("R2", "refund_request", 12 * D, 5 * M, None, None),  # open past 24 h: broken
]

# First response, 7 days: T1 T2 T3 T4 T5 C1 C2 R1. Decided: all but T4 = 7; kept:
# T1 T2 C1 C2 R1 = 5 -> 5/7 = 0.7143. Durations (answered ones): 300 300 300 600
# 1200 3000 (n = 6): median = rank ceil(0.5*6) = 3 -> 300; p90 = rank ceil(5.4) = 6 -> 3000.
# 30 days adds T6 T7 C3 R2: decided 11, kept 9 -> 0.8182. Durations: six of 300,
# 600 1200 2400 3000 (n = 10): median rank 5 -> 300, p90 rank 9 -> 2400.
# Card-key fix, 7 days: C1 kept (2400), C2 broken (5400): 1/2; median rank 1 -> 2400,
# p90 rank 2 -> 5400. 30 days adds C3 (1800, kept): 2/3 = 0.6667; sorted 1800 2400
# 5400: median rank 2 -> 2400, p90 rank 3 -> 5400.
# Refund, 7 days: R1 only, 1/1, 21600 both. 30 days adds R2, unresolved and 11 days
# past its deadline: 1/2, still 21600 both (R2 has no duration).

# (order, product, paid before now, delivered after paid); card keys promised in 5 min,
# direct top-ups in 30 min (the settings' defaults).
ORDERS = [
    ("O1", "P-CARD", 1 * D, 1 * M),  # 60 s: kept
    ("O2", "P-CARD", 3 * D, 10 * M),  # 600 s: broken
    ("O3", "P-CARD", 20 * D, 2 * M),  # 120 s: kept
    ("O4", "P-CARD", 2 * M, None),  # 5 min not up yet: undecided
    ("O5", "P-TOPUP", 1 * D, 20 * M),  # 1200 s: kept
    ("O6", "P-TOPUP", 2 * H, None),  # undelivered past 30 min: broken
    ("O7", "P-TOPUP", 25 * D, 45 * M),  # 2700 s: broken
]
# Card keys, 7 days: O1 O2 -> 1/2, median rank 1 -> 60, p90 rank 2 -> 600. 30 days adds
# O3: 2/3, sorted 60 120 600 -> median 120, p90 600.
# Top-ups, 7 days: O5 kept, O6 broken -> 1/2; only O5 has a duration: 1200 both.
# 30 days adds O7 (broken): 1/3 = 0.3333; 1200 2700 -> median rank 1 -> 1200, p90 rank 2 -> 2700.

# Last hour: 星辰直充 5 pushes, 3 failed (60 % >= 50 %, 3 failures): down.
# 月光卡密 1 push failed: a single failure is no outage: operational.
PUSHES = [("S1", 10 * M, "failed"), ("S1", 20 * M, "failed"), ("S1", 30 * M, "failed")]
PUSHES += [("S1", 40 * M, "succeeded"), ("S1", 50 * M, "succeeded"), ("S2", 5 * M, "failed")]
# wechat, last hour: 10 payments, 2 failed and 1 paid without the gateway's callback:
# 3/10 = 30 % (>= 20 %, 3 failures): degraded. alipay: 4 fine: operational. usdt failed
# 3 hours ago: listed (seen today) with no attempts in the last hour: operational.
PAYMENTS = [("wechat", i * 5 * M, "paid", True) for i in range(1, 8)]
PAYMENTS += [("wechat", 41 * M, "failed", False), ("wechat", 42 * M, "failed", False)]
PAYMENTS += [("wechat", 43 * M, "paid", False)]
PAYMENTS += [("alipay", i * 10 * M, "paid", True) for i in range(1, 5)]
PAYMENTS += [("usdt", 3 * H, "failed", False)]


def _shop(url: str, clock: FixedClock) -> DemoStoreConnector:
    connector = DemoStoreConnector.open(url, clock)
    now = as_utc(NOW)
    with connector.shop.database.transaction() as s:
        s.add(Supplier(supplier_id="S1", name="星辰直充", latency_seconds=5, failure_rate=0.0))
        s.add(Supplier(supplier_id="S2", name="月光卡密", latency_seconds=5, failure_rate=0.0))
        s.flush()
        for product_id, kind, supplier in (
            ("P-CARD", "card_key", "S2"),
            ("P-TOPUP", "direct_topup", "S1"),
        ):
            s.add(
                Product(
                    product_id=product_id,
                    name=product_id,
                    delivery_type=kind,
                    price=Decimal("10.00"),
                    region=None,
                    key_pattern=None,
                    supplier_id=supplier,
                )
            )
        s.flush()
        # "OP" holds the pushes and payments; paid 31 days ago, it is outside every window.
        for order_no, product_id, ago, took in [*ORDERS, ("OP", "P-TOPUP", 31 * D, None)]:
            paid = now - ago
            s.add(
                ShopOrder(
                    order_no=order_no,
                    status="delivered" if took else "delivering",
                    product_id=product_id,
                    supplier_id=None,
                    quantity=1,
                    unit_price=Decimal("10.00"),
                    amount=Decimal("10.00"),
                    refunded_amount=Decimal("0.00"),
                    contact=None,
                    shop_user_id=None,
                    region=None,
                    target_account=None,
                    created_at=paid - M,
                    paid_at=paid,
                    delivered_at=paid + took if took else None,
                    scenario="test",
                )
            )
        s.flush()
        for i, (supplier, ago, status) in enumerate(PUSHES):
            at = now - ago
            s.add(
                UpstreamPushRow(
                    push_id=f"PU{i}",
                    order_no="OP",
                    supplier_id=supplier,
                    attempt=1,
                    status=status,
                    error=None,
                    supplier_order_no=None,
                    created_at=at,
                    updated_at=at,
                    complete_at=None,
                    outcome=None,
                    outcome_error=None,
                )
            )
        for i, (method, ago, status, callback) in enumerate(PAYMENTS):
            at = now - ago
            s.add(
                ShopPayment(
                    payment_id=f"PY{i}",
                    order_no="OP",
                    method=method,
                    amount=Decimal("10.00"),
                    status=status,
                    trade_no=None,
                    created_at=at,
                    paid_at=at if status == "paid" else None,
                    callback_received=callback,
                    refunded_amount=Decimal("0.00"),
                )
            )
    return connector


def _tickets(database: Database, clock: FixedClock) -> None:
    now = as_utc(NOW)
    with database.transaction() as db:
        customer = find_or_create_customer(db, clock, channel="web", external_id="visitor-1")
        for number, category, ago, answered, resolved, own_due in TICKETS:
            created = now - ago
            db.add(
                Ticket(
                    number=number,
                    customer_id=customer.id,
                    channel="web",
                    category=category,
                    subject="s",
                    created_at=created,
                    updated_at=created,
                    first_response_at=created + answered if answered else None,
                    first_response_due_at=created + own_due if own_due else None,
                    resolved_at=created + resolved if resolved else None,
                    status="resolved" if resolved else "open",
                )
            )
        db.add(
            Announcement(
                title="星辰直充充值延迟",
                body="预计30分钟内恢复",
                scope="supplier",
                scope_value="星辰直充",
                keywords=["充值"],
                order_nos=["O6"],
                status="active",
                starts_at=now - H,
                ends_at=None,
                created_at=now - H,
                updated_at=now - H,
            )
        )


@pytest.fixture
def public(
    settings: Settings, clock: FixedClock, database: Database, tmp_path: Path
) -> Iterator[TestClient]:
    from yiwen.web.app import create_app

    shop = _shop(f"sqlite:///{tmp_path / 'own_shop.db'}", clock)
    _tickets(database, clock)
    with TestClient(create_app(settings, clock=clock, database=database, store=shop)) as client:
        yield client
    shop.close()


def _figures(body: dict[str, object], key: str) -> list[tuple[object, ...]]:
    promise = next(p for p in body["promises"] if p["key"] == key)  # type: ignore[attr-defined,index]
    return [
        (f["days"], f["decided"], f["kept"], f["kept_rate"], f["median_seconds"], f["p90_seconds"])
        for f in promise["figures"]
    ]


def test_commitment_figures_match_the_hand_computed_values(public: TestClient) -> None:
    response = public.get("/api/v1/public/commitments")
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "public, max-age=60"
    body = response.json()
    targets = {p["key"]: p["target_seconds"] for p in body["promises"]}
    assert targets == {
        "first_response": 1800,
        "card_key_fix": 3600,
        "refund": 86400,
        "delivery_card_key": 300,
        "delivery_direct_topup": 1800,
    }
    assert _figures(body, "first_response") == [
        (7, 7, 5, 0.7143, 300, 3000),
        (30, 11, 9, 0.8182, 300, 2400),
    ]
    assert _figures(body, "card_key_fix") == [
        (7, 2, 1, 0.5, 2400, 5400),
        (30, 3, 2, 0.6667, 2400, 5400),
    ]
    assert _figures(body, "refund") == [(7, 1, 1, 1.0, 21600, 21600), (30, 2, 1, 0.5, 21600, 21600)]
    assert _figures(body, "delivery_card_key") == [
        (7, 2, 1, 0.5, 60, 600),
        (30, 3, 2, 0.6667, 120, 600),
    ]
    assert _figures(body, "delivery_direct_topup") == [
        (7, 2, 1, 0.5, 1200, 1200),
        (30, 3, 1, 0.3333, 1200, 2700),
    ]
    assert body["measured_deliveries"] is True


def test_supplier_and_payment_status_come_from_the_last_hour(public: TestClient) -> None:
    body = public.get("/api/v1/public/commitments").json()
    status = {
        (c["kind"], c["name"]): (c["status"], c["attempts"], c["failures"])
        for c in body["components"]
    }
    assert status == {
        ("supplier", "星辰直充"): ("down", 5, 3),
        ("supplier", "月光卡密"): ("operational", 1, 1),
        ("payment_method", "wechat"): ("degraded", 10, 3),
        ("payment_method", "alipay"): ("operational", 4, 0),
        ("payment_method", "usdt"): ("operational", 0, 0),
    }


def test_open_announcements_are_listed_without_private_data(public: TestClient) -> None:
    response = public.get("/api/v1/public/commitments")
    body = response.json()
    assert [(a["title"], a["body"]) for a in body["announcements"]] == [
        ("星辰直充充值延迟", "预计30分钟内恢复")
    ]
    text = response.text
    for private in ("O6", "visitor-1", "T1", "order_nos", "customer"):
        assert private not in text


def test_the_page_is_cached_for_a_minute_of_the_clock(
    public: TestClient, database: Database, clock: FixedClock
) -> None:
    first = public.get("/api/v1/public/commitments").json()
    with database.transaction() as db:
        ticket = db.query(Ticket).filter(Ticket.number == "T4").one()
        ticket.first_response_at = clock.now()
    assert public.get("/api/v1/public/commitments").json() == first
    clock.advance(timedelta(seconds=61))
    fresh = public.get("/api/v1/public/commitments").json()
    # T4 now answered after 10 min: kept, and decided; 7 days: 8 decided, 6 kept.
    assert _figures(fresh, "first_response")[0][:3] == (7, 8, 6)


def test_a_shop_that_cannot_report_deliveries_still_gets_the_ticket_promises(
    database: Database, clock: FixedClock, settings: Settings
) -> None:
    from yiwen.workforce.commitments import compute_commitments

    _tickets(database, clock)
    with database.reading() as db:
        found = compute_commitments(db, clock, settings, store=object())
    assert [p.key for p in found.promises] == ["first_response", "card_key_fix", "refund"]
    assert found.measured_deliveries is False
    assert found.components == ()


def test_an_open_incident_marks_its_supplier_degraded_until_it_ends(
    database: Database, clock: FixedClock, public: TestClient
) -> None:
    from tests.proactive.incidents.helpers import open_supplier_incident

    open_supplier_incident(database, clock, supplier="moon", label="月光卡密")
    clock.advance(timedelta(minutes=2))  # past the page's one-minute cache
    components = public.get("/api/v1/public/commitments").json()["components"]
    moon = next(c for c in components if c["name"] == "月光卡密")
    # One failed push in the last hour alone would read as operational.
    assert (moon["status"], moon["incident"]) == ("degraded", True)
