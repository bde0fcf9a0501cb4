"""Customer 360: everything about the customer's recent orders and tickets on one page, with
card keys masked, so the agent never has to ask for the order number again."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.factories import login_headers
from tests.workspace.conftest import Reported, Reporter, Seats
from yiwen.core.clock import FixedClock
from yiwen.store.connectors.demo.connector import DemoStoreConnector
from yiwen.store.connectors.demo.shop import ExampleOrder

MASKED = re.compile(r"^[A-Z0-9]{4}\*{4}[A-Z0-9]{4}$")


@pytest.fixture
def reported(report: Reporter, cases: dict[str, ExampleOrder]) -> Reported:
    case = cases["push_failed"]
    return report(
        order_no=case.order_no,
        contact=case.contact,
        description="付款后卡密一直没到，已经等了一晚上",
    )


def _overview(client: TestClient, headers: dict[str, str], customer_id: str) -> dict[str, Any]:
    response = client.get(f"/api/v1/customers/{customer_id}/overview", headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_the_360_shows_the_reported_orders_payment_delivery_and_failed_push(
    client: TestClient,
    reported: Reported,
    seat: Seats,
    cases: dict[str, ExampleOrder],
    demo: DemoStoreConnector,
) -> None:
    case = cases["push_failed"]
    overview = _overview(client, seat("l1"), reported.customer_id)
    orders = {o["order_no"]: o for o in overview["orders"]}
    assert case.order_no in orders
    order = orders[case.order_no]
    shop = demo.get_order(case.order_no)

    assert order["status"] == "delivery_failed"
    assert order["contact"] == case.contact
    assert [(p["method"], p["status"], p["amount"]) for p in order["payments"]] == [
        (p.method, p.status, str(p.amount)) for p in shop.payments
    ]
    assert order["delivery"]["status"] == "failed"
    assert order["delivery"]["delivered_at"] is None
    pushes = order["upstream_pushes"]
    assert pushes, "the upstream push log is missing"
    assert pushes[-1]["status"] == "failed"
    assert pushes[-1]["error"] == shop.upstream_pushes[-1].error
    assert pushes[-1]["supplier"] == shop.upstream_pushes[-1].supplier
    assert order["refundable_amount"] == str(shop.amount)
    assert ("phone", case.contact) in [
        (i["channel"], i["external_id"]) for i in overview["identities"]
    ]


def test_the_360_finds_every_order_of_the_customers_contact_within_90_days(
    client: TestClient,
    reported: Reported,
    seat: Seats,
    cases: dict[str, ExampleOrder],
    demo: DemoStoreConnector,
) -> None:
    case = cases["push_failed"]
    since = demo.get_order(case.order_no).created_at - timedelta(days=400)
    by_contact = {o.order_no for o in demo.find_orders(contact=case.contact, since=since)}
    assert len(by_contact) > 1  # more than the order named on the ticket
    overview = _overview(client, seat("l1"), reported.customer_id)
    listed = [o["order_no"] for o in overview["orders"]]
    assert set(listed) == by_contact  # the generator's orders all lie within the 90 days
    created = [o["created_at"] for o in overview["orders"]]
    assert created == sorted(created, reverse=True)


def test_orders_older_than_90_days_drop_out_unless_a_ticket_names_them(
    client: TestClient,
    report: Reporter,
    seat: Seats,
    cases: dict[str, ExampleOrder],
    clock: FixedClock,
) -> None:
    case = cases["push_failed"]
    # A question without an order number: the order is found through the contact alone.
    asked = report(
        category="other", contact=case.contact, description="怎么开发票", demand="explain"
    )
    assert case.order_no in [
        o["order_no"] for o in _overview(client, seat("l1"), asked.customer_id)["orders"]
    ]

    clock.advance(timedelta(days=91))
    agent = login_headers(client, "l1")  # yesterday's session has long expired
    later = _overview(client, agent, asked.customer_id)
    assert case.order_no not in [o["order_no"] for o in later["orders"]]

    named = report(order_no=case.order_no, customer=asked.customer)
    assert named.customer_id == asked.customer_id
    linked = _overview(client, agent, asked.customer_id)
    assert case.order_no in [o["order_no"] for o in linked["orders"]]


def test_card_keys_in_the_360_are_masked_with_their_states(
    client: TestClient,
    reported: Reported,
    seat: Seats,
    cases: dict[str, ExampleOrder],
    demo: DemoStoreConnector,
) -> None:
    keyed = cases["key_used"].order_no
    linked = client.post(
        f"/api/v1/tickets/{reported.id}/orders", json={"order_no": keyed}, headers=seat("l1")
    )
    assert linked.status_code == 200, linked.text
    response = client.get(f"/api/v1/customers/{reported.customer_id}/overview", headers=seat("l2"))
    assert response.status_code == 200, response.text
    order = next(o for o in response.json()["orders"] if o["order_no"] == keyed)
    shop = demo.get_order(keyed)
    keys = order["delivery"]["card_keys"]
    assert [(k["key_id"], k["masked"], k["state"]) for k in keys] == [
        (k.key_id, k.masked, k.state) for k in shop.delivery.card_keys
    ]
    assert {k["state"] for k in keys} >= {"used", "unused"}
    assert all(MASKED.match(k["masked"]) for k in keys)
    for key in shop.delivery.card_keys:
        clear = demo.reveal_card_key(keyed, key.key_id)
        assert clear not in response.text
        assert clear.replace("-", "") not in response.text


def test_the_360_lists_the_customers_past_tickets_newest_first_and_nobody_elses(
    client: TestClient,
    reported: Reported,
    report: Reporter,
    seat: Seats,
    cases: dict[str, ExampleOrder],
    clock: FixedClock,
) -> None:
    clock.advance(timedelta(hours=1))
    second = report(
        category="refund_request",
        order_no=cases["push_failed"].order_no,
        demand="refund",
        customer=reported.customer,
    )
    resolved = client.post(
        f"/api/v1/tickets/{reported.id}/resolve", json={"note": "已重推"}, headers=seat("l1")
    )
    assert resolved.status_code == 200, resolved.text
    stranger = report(category="other", description="别人的问题", demand="explain")

    overview = _overview(client, seat("l1"), reported.customer_id)
    tickets = overview["tickets"]
    assert [t["number"] for t in tickets] == [second.number, reported.number]
    assert [(t["status"], t["category"]) for t in tickets] == [
        ("new", "refund_request"),
        ("resolved", "delivery_missing"),
    ]
    assert tickets[1]["resolved_at"] is not None
    assert stranger.number not in json.dumps(overview)


def test_the_360_of_an_unknown_customer_is_a_json_404(client: TestClient, seat: Seats) -> None:
    response = client.get(f"/api/v1/customers/{'0' * 32}/overview", headers=seat("l1"))
    assert response.status_code == 404, response.text
    assert response.json()["error"]["code"] == "customer_not_found"


def test_an_order_read_by_staff_shows_money_as_exact_decimal_text_and_keys_masked(
    client: TestClient, seat: Seats, cases: dict[str, ExampleOrder], demo: DemoStoreConnector
) -> None:
    order_no = cases["delivered_ok"].order_no
    response = client.get(f"/api/v1/orders/{order_no}", headers=seat("finance"))
    assert response.status_code == 200, response.text
    order = response.json()
    shop = demo.get_order(order_no)
    assert (order["amount"], order["refunded_amount"], order["refundable_amount"]) == (
        str(shop.amount),
        str(shop.refunded_amount),
        str(shop.refundable_amount),
    )
    assert order["delivery"]["card_keys"]
    for key in shop.delivery.card_keys:
        assert demo.reveal_card_key(order_no, key.key_id) not in response.text
    assert all(MASKED.match(k["masked"]) for k in order["delivery"]["card_keys"])


def test_an_unknown_order_is_a_json_404(client: TestClient, seat: Seats) -> None:
    response = client.get("/api/v1/orders/NOSUCHORDER00001", headers=seat("l1"))
    assert response.status_code == 404, response.text
    assert response.json()["error"]["code"] == "order_not_found"
