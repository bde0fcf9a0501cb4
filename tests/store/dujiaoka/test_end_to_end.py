"""The bot and the agent console on a dujiaoka shop (real MariaDB) and on the HTTP connector.

The same missing-key path as with the demo shop: the buyer says the key never
arrived, the bot finds the order by number, checks the contact, and re-sends the
delivered key on the chat; staff see the order with its keys masked. A broken
shop gives the bot's handoff and a clear 503 in the console, never a crash.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.factories import StaffTeam, login_headers
from tests.store.dujiaoka.fixtures import READER, DujiaokaShop, make_connector
from tests.store.http.fixtures import http_reference  # noqa: F401  (fixture)
from yiwen.core.clock import FixedClock
from yiwen.core.db import Database
from yiwen.core.settings import Settings
from yiwen.store.protocol import StoreConnector


def _client(settings: Settings, clock: FixedClock, database: Database, store: StoreConnector):  # type: ignore[no-untyped-def]
    from yiwen.web.app import create_app

    return TestClient(create_app(settings, clock=clock, database=database, store=store))


@pytest.fixture(params=["dujiaoka", "http"])
def shop(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[StoreConnector, dict]]:  # type: ignore[type-arg]
    if request.param == "dujiaoka":
        dujiaoka_shop: DujiaokaShop = request.getfixturevalue("dujiaoka_shop")
        connector = make_connector(dujiaoka_shop, tmp_path)
        yield connector, dujiaoka_shop.examples
        connector.close()
    else:
        reference = request.getfixturevalue("http_reference")
        yield reference.connector, reference.examples


def _chat(client: TestClient, contact: str) -> tuple[str, dict[str, str]]:
    started = client.post("/api/v1/customer/conversations", json={"contact": contact})
    assert started.status_code == 201, started.text
    data = started.json()
    return data["conversation"]["id"], {"X-Conversation-Token": data["token"]}


def _say(client: TestClient, conversation: str, headers: dict[str, str], text: str) -> list[str]:
    sent = client.post(
        f"/api/v1/customer/conversations/{conversation}/messages",
        json={"client_msg_id": "m1", "body": text},
        headers=headers,
    )
    assert sent.status_code in (200, 201), sent.text
    page = client.get(
        f"/api/v1/customer/conversations/{conversation}/messages",
        params={"limit": 200},
        headers=headers,
    )
    return [m["body"] for m in page.json()["items"] if m["sender_type"] == "bot"]


def test_the_bot_resends_a_missing_key_found_by_order_number(
    shop: tuple[StoreConnector, dict],  # type: ignore[type-arg]
    settings: Settings,
    clock: FixedClock,
    database: Database,
) -> None:
    store, examples = shop
    case = examples["delivered_ok"]
    order = store.get_order(case.order_no)
    secret = store.reveal_card_key(case.order_no, order.delivery.card_keys[0].key_id)
    with _client(settings, clock, database, store) as client:
        conversation, headers = _chat(client, case.contact)
        replies = _say(client, conversation, headers, f"订单号{case.order_no}，卡密没收到")
    assert secret in replies[-1]
    assert store.get_order(case.order_no).delivery.resend_count == order.delivery.resend_count + 1


def test_the_console_finds_the_order_with_masked_keys(
    shop: tuple[StoreConnector, dict],  # type: ignore[type-arg]
    settings: Settings,
    clock: FixedClock,
    database: Database,
    team: StaffTeam,
) -> None:
    store, examples = shop
    case = examples["delivered_ok"]
    secret = store.reveal_card_key(
        case.order_no, store.get_order(case.order_no).delivery.card_keys[0].key_id
    )
    with _client(settings, clock, database, store) as client:
        headers = login_headers(client, team.l2.username)
        shown = client.get(f"/api/v1/orders/{case.order_no}", headers=headers)
    assert shown.status_code == 200, shown.text
    assert case.order_no in shown.text and secret not in shown.text
    assert secret[:4] + "****" + secret[-4:] in shown.text


def test_a_shop_with_wrong_credentials_gives_a_handoff_and_a_clear_503(
    dujiaoka_shop: DujiaokaShop,
    tmp_path: Path,
    settings: Settings,
    clock: FixedClock,
    database: Database,
    team: StaffTeam,
) -> None:
    broken = make_connector(
        dujiaoka_shop, tmp_path, write=False, url=dujiaoka_shop.url((READER[0], "wrong"))
    )
    case = dujiaoka_shop.examples["delivered_ok"]
    with _client(settings, clock, database, broken) as client:
        conversation, headers = _chat(client, case.contact)
        replies = _say(client, conversation, headers, f"订单号{case.order_no}，卡密没收到")
        staff = login_headers(client, team.l2.username)
        shown = client.get(f"/api/v1/orders/{case.order_no}", headers=staff)
    assert replies  # the bot answered (a handoff), it did not crash
    assert shown.status_code == 503 and shown.json()["error"]["code"] == "store_unavailable"
    broken.close()


def test_a_refund_dujiaoka_cannot_make_goes_to_finance_and_changes_nothing(
    dujiaoka_shop: DujiaokaShop,
    tmp_path: Path,
    settings: Settings,
    clock: FixedClock,
    database: Database,
) -> None:
    from decimal import Decimal

    store = make_connector(dujiaoka_shop, tmp_path)
    case = dujiaoka_shop.examples["abnormal"]  # paid, never delivered (6 异常)
    before = store.get_order(case.order_no)
    generous = settings.model_copy(update={"bot_auto_refund_limit": Decimal("100000")})
    with _client(generous, clock, database, store) as client:
        conversation, headers = _chat(client, case.contact)
        replies = _say(client, conversation, headers, f"订单 {case.order_no} 没发货，我要退款")
    assert "财务" in replies[-1]  # handed to finance, not told "refunded"
    assert "已退款" not in replies[-1]
    assert store.get_order(case.order_no) == before
    store.close()
