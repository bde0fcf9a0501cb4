"""Customers looking up their own orders: by order number plus contact, or by shop login."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from yiwen.conversations.access import sign_shop_token
from yiwen.core.clock import FixedClock
from yiwen.core.settings import Settings
from yiwen.store.connectors.demo.connector import DemoStoreConnector
from yiwen.store.connectors.demo.shop import ExampleOrder

LOOKUP = "/api/v1/customer/orders/lookup"
ORDERS = "/api/v1/customer/orders"
LOOKUP_LIMIT = 20  # store/api.py: 20 lookups a minute per address
MASKED = re.compile(r"^[A-Z0-9]{4}\*{4}[A-Z0-9]{4}$")
CUSTOMER_FIELDS = {
    "order_no",
    "status",
    "amount",
    "refunded_amount",
    "product_name",
    "created_at",
    "paid_at",
    "payment_methods",
    "delivery_type",
    "delivery_status",
    "delivered_at",
    "card_keys",
    "supplier_status",
}

_addresses = itertools.count(1)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """A client with its own address: the lookup limiter counts per process and address."""
    with TestClient(app, client=(f"10.4.0.{next(_addresses)}", 50000)) as test_client:
        yield test_client


@pytest.fixture
def examples(demo: DemoStoreConnector) -> dict[str, ExampleOrder]:
    return demo.example_orders()


def shop_headers(settings: Settings, clock: FixedClock, shop_user_id: str) -> dict[str, str]:
    expires = int(clock.now().timestamp()) + 600
    token = sign_shop_token(settings.resolved_shop_token_secret(), shop_user_id, expires)
    return {"X-Shop-Token": token}


def clear_keys(demo: DemoStoreConnector, order_no: str) -> list[str]:
    """The card keys in clear, as only the shop itself (or an audited reveal) may see them."""
    order = demo.get_order(order_no)
    return [demo.reveal_card_key(order_no, key.key_id) for key in order.delivery.card_keys]


def test_the_order_number_and_the_contact_used_at_purchase_find_the_order(
    client: TestClient, demo: DemoStoreConnector, examples: dict[str, ExampleOrder]
) -> None:
    case = examples["delivered_ok"]
    order = demo.get_order(case.order_no)

    response = client.post(LOOKUP, json={"order_no": case.order_no, "contact": case.contact})

    assert response.status_code == 200, response.text
    found = response.json()
    assert set(found) == CUSTOMER_FIELDS
    assert found["order_no"] == case.order_no
    assert found["status"] == "delivered"
    assert found["amount"] == str(order.amount)  # money is a decimal string, never a float
    assert found["refunded_amount"] == "0.00"
    assert found["product_name"] == order.items[0].product_name
    assert found["payment_methods"] == [p.method for p in order.payments]
    assert found["delivery_type"] == "card_key" and found["delivery_status"] == "delivered"
    assert [k["state"] for k in found["card_keys"]] == [k.state for k in order.delivery.card_keys]


def test_card_keys_are_shown_masked_and_never_in_clear(
    client: TestClient, demo: DemoStoreConnector, examples: dict[str, ExampleOrder]
) -> None:
    case = examples["delivered_ok"]
    secrets = clear_keys(demo, case.order_no)
    assert secrets  # the order has keys to hide

    response = client.post(LOOKUP, json={"order_no": case.order_no, "contact": case.contact})

    masked = [k["masked"] for k in response.json()["card_keys"]]
    assert len(masked) == len(secrets)
    for shown, secret in zip(masked, secrets, strict=True):
        assert MASKED.match(shown), shown
        assert shown == f"{secret[:4]}****{secret[-4:]}"
        hidden = secret[4:-4].strip("-")  # the part that makes the key redeemable
        assert hidden not in response.text
        assert hidden.replace("-", "") not in response.text


def test_a_failed_supplier_push_shows_its_state_but_no_supplier_internals(
    client: TestClient, demo: DemoStoreConnector, examples: dict[str, ExampleOrder]
) -> None:
    case = examples["push_failed"]
    order = demo.get_order(case.order_no)
    push = order.upstream_pushes[-1]
    assert push.error and push.supplier_order_no and order.payments[0].trade_no

    response = client.post(LOOKUP, json={"order_no": case.order_no, "contact": case.contact})

    assert response.status_code == 200, response.text
    assert response.json()["supplier_status"] == "failed"
    assert response.json()["delivery_status"] == "failed"
    for internal in (push.supplier, push.error, push.supplier_order_no, push.push_id):
        assert internal not in response.text
    assert order.payments[0].trade_no not in response.text


def test_a_direct_top_up_shows_no_card_keys(
    client: TestClient, examples: dict[str, ExampleOrder]
) -> None:
    case = examples["topup_delivered"]

    response = client.post(LOOKUP, json={"order_no": case.order_no, "contact": case.contact})

    assert response.status_code == 200, response.text
    assert response.json()["delivery_type"] == "direct_topup"
    assert response.json()["card_keys"] == []
    assert response.json()["supplier_status"] == "succeeded"


def test_a_refunded_order_shows_the_refunded_amount(
    client: TestClient, demo: DemoStoreConnector, examples: dict[str, ExampleOrder]
) -> None:
    case = examples["refunded"]
    order = demo.get_order(case.order_no)

    response = client.post(LOOKUP, json={"order_no": case.order_no, "contact": case.contact})

    assert response.json()["status"] == "refunded"
    assert response.json()["refunded_amount"] == str(order.refunded_amount) != "0.00"


def test_the_contact_is_matched_as_customers_type_it(
    client: TestClient, examples: dict[str, ExampleOrder]
) -> None:
    by_phone = examples["push_failed"]
    by_email = examples["delivered_ok"]
    assert by_phone.contact is not None and by_phone.contact.isdigit()
    assert by_email.contact is not None and "@" in by_email.contact
    phone = by_phone.contact

    spaced = client.post(
        LOOKUP,
        json={
            "order_no": by_phone.order_no,
            "contact": f"+86 {phone[:3]}-{phone[3:7]}-{phone[7:]}",
        },
    )
    shouting = client.post(
        LOOKUP, json={"order_no": by_email.order_no, "contact": f"  {by_email.contact.upper()} "}
    )

    assert spaced.status_code == 200, spaced.text
    assert shouting.status_code == 200, shouting.text


def test_a_wrong_contact_answers_exactly_like_an_unknown_order(
    client: TestClient, examples: dict[str, ExampleOrder]
) -> None:
    case = examples["delivered_ok"]
    other = examples["push_failed"]

    wrong_contact = client.post(LOOKUP, json={"order_no": case.order_no, "contact": other.contact})
    unknown_order = client.post(
        LOOKUP, json={"order_no": "ZZZZ0000ZZZZ0000", "contact": case.contact}
    )
    not_a_contact = client.post(LOOKUP, json={"order_no": case.order_no, "contact": "my qq"})

    for response in (wrong_contact, unknown_order, not_a_contact):
        assert response.status_code == 404
        assert response.json() == unknown_order.json()
    assert unknown_order.json()["error"] == {
        "code": "order_lookup_failed",
        "message": "未找到匹配的订单，请核对订单号和下单时填写的联系方式",
    }


@pytest.mark.parametrize(
    "body",
    [
        {"order_no": "K7Q2 M9X4", "contact": "13800138000"},
        {"order_no": "abc", "contact": "13800138000"},
        {"order_no": "K7Q2M9X4T1B8C3D6"},
        {"order_no": "K7Q2M9X4T1B8C3D6", "contact": "13800138000", "shop_user_id": "200030"},
    ],
)
def test_lookup_bodies_that_break_the_schema_are_422(
    client: TestClient, body: dict[str, str]
) -> None:
    response = client.post(LOOKUP, json=body)

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_request"


def test_malformed_json_is_400(client: TestClient) -> None:
    response = client.post(
        LOOKUP, content=b'{"order_no": "K7Q2', headers={"content-type": "application/json"}
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_json"


def test_lookups_are_limited_to_twenty_a_minute_per_address(
    app: FastAPI, client: TestClient, examples: dict[str, ExampleOrder]
) -> None:
    case = examples["delivered_ok"]
    guess = {"order_no": case.order_no, "contact": "13900000000"}
    right = {"order_no": case.order_no, "contact": case.contact}

    answers = [client.post(LOOKUP, json=guess) for _ in range(LOOKUP_LIMIT)]
    blocked = client.post(LOOKUP, json=right)

    assert {a.status_code for a in answers} == {404}
    assert blocked.status_code == 429
    assert blocked.json()["error"]["code"] == "rate_limited"
    assert case.order_no not in blocked.text
    with TestClient(app, client=("10.5.0.1", 50000)) as elsewhere:
        assert elsewhere.post(LOOKUP, json=right).status_code == 200


def test_a_shop_user_lists_their_own_orders_newest_first(
    client: TestClient,
    demo: DemoStoreConnector,
    settings: Settings,
    clock: FixedClock,
    examples: dict[str, ExampleOrder],
) -> None:
    case = examples["delivered_ok"]
    assert case.shop_user_id is not None
    theirs = demo.find_orders(shop_user_id=case.shop_user_id)
    assert len(theirs) > 1

    response = client.get(ORDERS, headers=shop_headers(settings, clock, case.shop_user_id))

    assert response.status_code == 200, response.text
    listed = response.json()
    assert [o["order_no"] for o in listed] == [s.order_no for s in theirs]
    assert case.order_no in [o["order_no"] for o in listed]
    assert all(set(o) == CUSTOMER_FIELDS for o in listed)
    secrets = clear_keys(demo, case.order_no)
    assert secrets and not any(secret in response.text for secret in secrets)


def test_another_shop_user_does_not_see_those_orders(
    client: TestClient,
    demo: DemoStoreConnector,
    settings: Settings,
    clock: FixedClock,
    examples: dict[str, ExampleOrder],
) -> None:
    mine = examples["delivered_ok"]
    other = examples["push_failed"]
    assert mine.shop_user_id and other.shop_user_id and mine.shop_user_id != other.shop_user_id
    my_orders = {s.order_no for s in demo.find_orders(shop_user_id=mine.shop_user_id)}

    response = client.get(ORDERS, headers=shop_headers(settings, clock, other.shop_user_id))

    assert response.status_code == 200, response.text
    listed = {o["order_no"] for o in response.json()}
    assert other.order_no in listed
    assert not listed & my_orders


def test_a_shop_user_with_no_orders_gets_an_empty_list(
    client: TestClient, settings: Settings, clock: FixedClock
) -> None:
    response = client.get(ORDERS, headers=shop_headers(settings, clock, "no-such-user-42"))

    assert response.status_code == 200
    assert response.json() == []


def test_the_order_list_needs_a_shop_login(
    client: TestClient, settings: Settings, clock: FixedClock, examples: dict[str, ExampleOrder]
) -> None:
    case = examples["delivered_ok"]
    assert case.shop_user_id is not None
    visitor = client.post("/api/v1/customer/conversations", json={}).json()["token"]
    forged = sign_shop_token("not-the-secret", case.shop_user_id, int(clock.now().timestamp()) + 60)

    anonymous = client.get(ORDERS)
    with_forged_token = client.get(ORDERS, headers={"X-Shop-Token": forged})
    with_visitor_token = client.get(ORDERS, headers={"X-Conversation-Token": visitor})

    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "customer_token_missing"
    assert with_forged_token.status_code == 401
    assert with_forged_token.json()["error"]["code"] == "customer_token_invalid"
    # A visitor without a shop login has no shop orders to list.
    assert with_visitor_token.status_code == 200
    assert with_visitor_token.json() == []
