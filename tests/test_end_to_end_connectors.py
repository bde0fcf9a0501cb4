"""Issue 7's "done": real shops behind Yiwen, over real HTTP on loopback (uvicorn in a thread).

A dujiaoka shop on a private MariaDB with 10,000 generated orders, and the
signed HTTP connector against the reference server: the agent console finds
orders by number and by email with keys masked; the bot walks the missing-key
path (report → order found → key resent → ticket timeline). What a shop cannot
do (dujiaoka's gateway refund; an HTTP shop that declares no refunds) is never
attempted: the console answers 409 ``action_not_supported`` with the shop
owner's task, audited and noted; the bot hands off with the task on the case.
A shop with wrong credentials, a dropped database, a slow answer or garbage
gives the console a 503 JSON error and the bot a handoff with the reason.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse
from sqlalchemy import select

from tests.factories import StaffTeam, login_headers
from tests.store.dujiaoka.fixtures import (
    ORDERS,
    READER,
    WRITER,
    DujiaokaShop,
    make_connector,
)
from tests.store.dujiaoka.fixtures import dujiaoka_shop as dujiaoka_shop
from tests.support.live import serve
from yiwen.auth.audit import AuditEntry
from yiwen.bot.models import BotOutcome
from yiwen.core.clock import FixedClock
from yiwen.core.db import Database
from yiwen.core.settings import Settings
from yiwen.store.connectors.demo.connector import DemoStoreConnector
from yiwen.store.connectors.http.client import HttpStoreConnector
from yiwen.store.connectors.http.reference.server import create_app as reference_app
from yiwen.store.protocol import ALL_CAPABILITIES, StoreConnector
from yiwen.tickets.models import Ticket

KEY_ID = "yiwen-e2e"
SECRET = "e2e-reference-secret-0123456789"
NO_REFUNDS = ALL_CAPABILITIES - {"refund"}


@dataclass
class Shop:
    store: StoreConnector
    example: Callable[[str], Any]
    kind: str


@contextlib.contextmanager
def _reference(
    demo: DemoStoreConnector, capabilities: frozenset[str] | None = None
) -> Iterator[HttpStoreConnector]:
    with serve(reference_app(demo, {KEY_ID: SECRET}, capabilities=capabilities)) as url:
        connector = HttpStoreConnector(
            url, key_id=KEY_ID, secret=SECRET, timeout=5.0, retries=1,
            order_no_patterns=demo.order_no_patterns,
        )  # fmt: skip
        yield connector
        connector.close()


@pytest.fixture(params=["dujiaoka", "http"])
def shop(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Shop]:
    if request.param == "dujiaoka":
        mariadb: DujiaokaShop = request.getfixturevalue("dujiaoka_shop")
        connector = make_connector(mariadb, tmp_path)
        yield Shop(connector, mariadb.examples.__getitem__, "dujiaoka")
        connector.close()
    else:
        demo: DemoStoreConnector = request.getfixturevalue("demo")
        with _reference(demo) as connector:
            yield Shop(connector, demo.example_orders().__getitem__, "http")


@contextlib.contextmanager
def _live(
    settings: Settings, clock: FixedClock, database: Database, store: StoreConnector
) -> Iterator[httpx.Client]:
    from yiwen.web.app import create_app

    app = create_app(settings, clock=clock, database=database, store=store)
    with serve(app) as url, httpx.Client(base_url=url, timeout=30) as client:
        yield client


def _chat(base: httpx.Client, contact: str | None) -> tuple[httpx.Client, str]:
    customer = httpx.Client(base_url=base.base_url, timeout=30)
    started = customer.post("/api/v1/customer/conversations", json={"contact": contact})
    assert started.status_code == 201, started.text
    customer.headers["X-Conversation-Token"] = started.json()["token"]
    return customer, started.json()["conversation"]["id"]


def _say(customer: httpx.Client, conversation_id: str, text: str) -> list[str]:
    sent = customer.post(
        f"/api/v1/customer/conversations/{conversation_id}/messages",
        json={"client_msg_id": f"m-{time.monotonic_ns()}", "body": text},
    )
    assert sent.status_code == 201, sent.text
    page = customer.get(
        f"/api/v1/customer/conversations/{conversation_id}/messages",
        params={"after": sent.json()["id"]},
    )
    assert page.status_code == 200, page.text
    return [m["body"] for m in page.json()["items"] if m["sender_type"] == "bot"]


def _ticket_of(database: Database, conversation_id: str) -> Ticket:
    with database.reading() as db:
        ticket = db.scalar(select(Ticket).where(Ticket.conversation_id == conversation_id))
        assert ticket is not None
        db.expunge(ticket)
        return ticket


def _timeline(client: httpx.Client, staff: dict[str, str], ticket_id: str) -> list[dict]:  # type: ignore[type-arg]
    detail = client.get(f"/api/v1/tickets/{ticket_id}", headers=staff)
    assert detail.status_code == 200, detail.text
    return list(detail.json()["timeline"])


def _outcome(database: Database, conversation_id: str) -> BotOutcome:
    with database.reading() as db:
        row = db.scalar(select(BotOutcome).where(BotOutcome.conversation_id == conversation_id))
        assert row is not None
        db.expunge(row)
        return row


# The console: find, show masked, offer only what the shop can do


def test_the_console_finds_orders_by_number_and_by_email_with_keys_masked(
    shop: Shop, settings: Settings, clock: FixedClock, database: Database, team: StaffTeam
) -> None:
    case = shop.example("delivered_ok")
    order = shop.store.get_order(case.order_no)
    secret = shop.store.reveal_card_key(case.order_no, order.delivery.card_keys[0].key_id)
    with _live(settings, clock, database, shop.store) as client:
        staff = login_headers(client, team.l1.username)  # type: ignore[arg-type]
        by_number = client.get("/api/v1/orders", params={"order_no": case.order_no}, headers=staff)
        by_email = client.get("/api/v1/orders", params={"contact": case.contact}, headers=staff)
        shown = client.get(f"/api/v1/orders/{case.order_no}", headers=staff)
        empty = client.get("/api/v1/orders", headers=staff)
    assert [o["order_no"] for o in by_number.json()] == [case.order_no]
    assert case.order_no in [o["order_no"] for o in by_email.json()]
    assert all(o["contact"] == case.contact for o in by_email.json())
    assert shown.status_code == 200 and secret not in shown.text
    assert shown.json()["delivery"]["card_keys"][0]["masked"] == secret[:4] + "****" + secret[-4:]
    panel = {a["action"]: a for a in shown.json()["actions"]}
    assert panel["resend_delivery"]["available"] and panel["resend_delivery"]["task"] is None
    if shop.kind == "dujiaoka":
        assert not panel["refund"]["available"]
        assert order.payments[0].trade_no in panel["refund"]["task"]
        assert not panel["freeze_account"]["available"]
    else:
        assert all(a["available"] for a in panel.values())
    assert empty.status_code == 422 and empty.json()["error"]["code"] == "order_query_empty"


def test_the_dujiaoka_shop_under_test_holds_ten_thousand_orders(
    dujiaoka_shop: DujiaokaShop,
) -> None:
    admin = contextlib.closing(dujiaoka_shop.server.admin("dujiaoka"))
    with admin as connection, connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM orders")
        assert cursor.fetchone()[0] >= ORDERS


# The missing-key path


def test_a_missing_key_is_found_resent_and_on_the_ticket_timeline(
    shop: Shop, settings: Settings, clock: FixedClock, database: Database, team: StaffTeam
) -> None:
    case = shop.example("delivered_ok")
    before = shop.store.get_order(case.order_no)
    secret = shop.store.reveal_card_key(case.order_no, before.delivery.card_keys[0].key_id)
    with _live(settings, clock, database, shop.store) as client:
        customer, conversation_id = _chat(client, case.contact)
        replies = _say(customer, conversation_id, f"订单号 {case.order_no}，付款了卡密没收到")
        ticket = _ticket_of(database, conversation_id)
        staff = login_headers(client, team.l2.username)  # type: ignore[arg-type]
        timeline = _timeline(client, staff, ticket.id)
        found = client.get("/api/v1/orders", params={"contact": case.contact}, headers=staff)
        customer.close()
    assert replies and secret in replies[-1] and ticket.number in replies[-1]
    resent = [e for e in timeline if e["kind"] == "bot_action"]
    assert resent and resent[0]["data"]["action"] == "resend_delivery"
    assert resent[0]["visibility"] == "public"
    after = shop.store.get_order(case.order_no)
    assert after.delivery.resend_count == before.delivery.resend_count + 1
    assert case.order_no in [o["order_no"] for o in found.json()]


# What the shop cannot do: never attempted, a task for the owner


@pytest.fixture(params=["dujiaoka", "http_without_refunds"])
def refundless(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Shop, str]]:
    """A shop that cannot refund, and a paid, undelivered order of it."""
    if request.param == "dujiaoka":
        mariadb: DujiaokaShop = request.getfixturevalue("dujiaoka_shop")
        connector = make_connector(mariadb, tmp_path)
        yield Shop(connector, mariadb.examples.__getitem__, "dujiaoka"), "abnormal"
        connector.close()
    else:
        demo: DemoStoreConnector = request.getfixturevalue("demo")
        with _reference(demo, capabilities=NO_REFUNDS) as connector:
            yield Shop(connector, demo.example_orders().__getitem__, "http"), "push_failed"


def test_the_console_refuses_a_refund_the_shop_cannot_make_with_the_owners_task(
    refundless: tuple[Shop, str],
    settings: Settings,
    clock: FixedClock,
    database: Database,
    team: StaffTeam,
) -> None:
    shop, case_name = refundless
    case = shop.example(case_name)
    before = shop.store.get_order(case.order_no)
    with _live(settings, clock, database, shop.store) as client:
        customer, conversation_id = _chat(client, case.contact)
        staff = login_headers(client, team.l1.username)  # type: ignore[arg-type]
        opened = client.post(
            f"/api/v1/conversations/{conversation_id}/tickets",
            json={"category": "refund_request", "subject": "退款", "description": "顾客要求退款",
                  "order_nos": [case.order_no]},
            headers=staff,
        )  # fmt: skip
        assert opened.status_code == 201, opened.text
        ticket_id = opened.json()["ticket"]["id"]
        refused = client.post(
            f"/api/v1/tickets/{ticket_id}/actions",
            json={"action": "refund", "order_no": case.order_no, "amount": "1.00",
                  "reason": "未发货"},
            headers={**staff, "Idempotency-Key": "refund-1234"},
        )  # fmt: skip
        panel = client.get(f"/api/v1/orders/{case.order_no}", headers=staff).json()["actions"]
        timeline = _timeline(client, staff, ticket_id)
        customer.close()
    assert refused.status_code == 409, refused.text
    error = refused.json()["error"]
    assert error["code"] == "action_not_supported" and "店主" in error["message"]
    assert case.order_no in error["task"] and "1.00 元" in error["task"]
    assert not {a["action"]: a for a in panel}["refund"]["available"]
    noted = [e for e in timeline if e["kind"] == "action.needs_shop_owner"]
    assert noted and noted[0]["visibility"] == "internal" and noted[0]["body"] == error["task"]
    assert not [e for e in timeline if e["kind"] == "action.refund"]
    with database.reading() as db:
        audited = db.scalar(
            select(AuditEntry).where(AuditEntry.action == "order.action_not_supported")
        )
        assert audited is not None and audited.target_id == case.order_no
    assert shop.store.get_order(case.order_no) == before  # nothing was sent to the shop


def test_the_bot_hands_a_refund_the_shop_cannot_make_to_a_person_with_the_task(
    refundless: tuple[Shop, str],
    settings: Settings,
    clock: FixedClock,
    database: Database,
    team: StaffTeam,
) -> None:
    shop, case_name = refundless
    case = shop.example(case_name)
    before = shop.store.get_order(case.order_no)
    generous = settings.model_copy(update={"bot_auto_refund_limit": Decimal("100000")})
    with _live(generous, clock, database, shop.store) as client:
        customer, conversation_id = _chat(client, case.contact)
        replies = _say(customer, conversation_id, f"订单 {case.order_no} 一直没发货，我要退款")
        ticket = _ticket_of(database, conversation_id)
        staff = login_headers(client, team.l2.username)  # type: ignore[arg-type]
        timeline = _timeline(client, staff, ticket.id)
        customer.close()
    told = "\n".join(replies)
    assert "店主" in told and ticket.number in told and "已退款" not in told
    tasks = ticket.key_info["shop_owner_tasks"]
    assert len(tasks) == 1 and case.order_no in tasks[0]
    assert str(before.refundable_amount) in tasks[0]
    noted = [e for e in timeline if e["kind"] == "action.needs_shop_owner"]
    assert noted and noted[0]["visibility"] == "internal" and noted[0]["body"] == tasks[0]
    summary = [e for e in timeline if e["kind"] == "note" and "需要店主处理" in e["body"]]
    assert summary
    assert _outcome(database, conversation_id).reason == "refund_not_supported"
    assert shop.store.get_order(case.order_no) == before


# A broken shop: a clear error in the console, a handoff with the reason in the bot


def _dropped(mariadb: DujiaokaShop, tmp_path: Path) -> tuple[StoreConnector, str, str | None]:
    examples = mariadb.new_database("e2e_dropped", orders=20)
    connector = make_connector(
        mariadb, tmp_path, write=False, url=mariadb.url(database="e2e_dropped")
    )
    mariadb.server.execute("DROP DATABASE e2e_dropped")
    case = examples["delivered_ok"]
    return connector, case.order_no, case.contact


def _wrong_password(
    mariadb: DujiaokaShop, tmp_path: Path
) -> tuple[StoreConnector, str, str | None]:
    case = mariadb.examples["delivered_ok"]
    connector = make_connector(mariadb, tmp_path, write=False, url=mariadb.url((READER[0], "nope")))
    return connector, case.order_no, case.contact


def _garbage_rows(mariadb: DujiaokaShop, tmp_path: Path) -> tuple[StoreConnector, str, str | None]:
    examples = mariadb.new_database("e2e_garbage", orders=20)
    case = examples["delivered_ok"]
    mariadb.server.execute(
        f"UPDATE orders SET status = 9 WHERE order_sn = '{case.order_no}'", database="e2e_garbage"
    )
    connector = make_connector(
        mariadb, tmp_path, write=False, url=mariadb.url(database="e2e_garbage")
    )
    return connector, case.order_no, case.contact


@contextlib.contextmanager
def _locked(
    mariadb: DujiaokaShop, tmp_path: Path
) -> Iterator[tuple[StoreConnector, str, str | None]]:
    """A slow shop: another session holds the orders table, so every read waits and times out."""
    examples = mariadb.new_database("e2e_slow", orders=20)
    case = examples["delivered_ok"]
    connector = make_connector(
        mariadb, tmp_path, write=False, timeout=1.0, url=mariadb.url(database="e2e_slow")
    )
    with contextlib.closing(mariadb.server.admin("e2e_slow")) as locker:
        with locker.cursor() as cursor:
            cursor.execute("LOCK TABLES orders WRITE")
        yield connector, case.order_no, case.contact
    connector.close()


def _slow_app(delay: float) -> FastAPI:
    app = FastAPI()

    @app.api_route("/{path:path}", methods=["GET", "POST"])
    def slow(path: str) -> dict[str, object]:
        time.sleep(delay)
        return {"capabilities": []}

    return app


def _garbage_app() -> FastAPI:
    app = FastAPI()

    @app.api_route("/{path:path}", methods=["GET", "POST"])
    def garbage(path: str, request: Request) -> PlainTextResponse:
        return PlainTextResponse("<html>502 Bad Gateway (nginx)</html>", status_code=200)

    return app


@contextlib.contextmanager
def _broken_http(app: FastAPI | None, secret: str = SECRET) -> Iterator[HttpStoreConnector]:
    if app is None:  # nobody listens
        connector = HttpStoreConnector(
            "http://127.0.0.1:9", key_id=KEY_ID, secret=secret, timeout=0.5, retries=0
        )
        yield connector
        connector.close()
        return
    with serve(app) as url:
        connector = HttpStoreConnector(url, key_id=KEY_ID, secret=secret, timeout=0.5, retries=0)
        yield connector
        connector.close()


BROKEN = [
    "dujiaoka_wrong_password",
    "dujiaoka_dropped_database",
    "dujiaoka_locked_slow",
    "dujiaoka_garbage_row",
    "http_wrong_secret",
    "http_slow",
    "http_garbage",
    "http_unreachable",
]


@pytest.fixture(params=BROKEN)
def broken(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[StoreConnector, str, str | None]]:
    kind: str = request.param
    if kind.startswith("dujiaoka"):
        mariadb: DujiaokaShop = request.getfixturevalue("dujiaoka_shop")
        if kind == "dujiaoka_locked_slow":
            with _locked(mariadb, tmp_path) as found:
                yield found
            mariadb.server.execute("DROP DATABASE e2e_slow")
            return
        make = {
            "dujiaoka_wrong_password": _wrong_password,
            "dujiaoka_dropped_database": _dropped,
            "dujiaoka_garbage_row": _garbage_rows,
        }[kind]
        connector, order_no, contact = make(mariadb, tmp_path)
        yield connector, order_no, contact
        connector.close()  # type: ignore[attr-defined]
        if kind == "dujiaoka_garbage_row":
            mariadb.server.execute("DROP DATABASE e2e_garbage")
        return
    demo: DemoStoreConnector = request.getfixturevalue("demo")
    case = demo.example_orders()["delivered_ok"]
    if kind == "http_wrong_secret":
        with serve(reference_app(demo, {KEY_ID: SECRET})) as url:
            connector = HttpStoreConnector(url, key_id=KEY_ID, secret="wrong", timeout=2, retries=0)
            yield connector, case.order_no, case.contact
            connector.close()
        return
    app = {"http_slow": _slow_app(2.0), "http_garbage": _garbage_app(), "http_unreachable": None}
    with _broken_http(app[kind]) as connector:
        yield connector, case.order_no, case.contact


def test_a_broken_shop_gives_the_console_a_503_and_the_bot_a_handoff_with_the_reason(
    broken: tuple[StoreConnector, str, str | None],
    settings: Settings,
    clock: FixedClock,
    database: Database,
    team: StaffTeam,
) -> None:
    store, order_no, contact = broken
    with _live(settings, clock, database, store) as client:
        staff = login_headers(client, team.l2.username)  # type: ignore[arg-type]
        shown = client.get(f"/api/v1/orders/{order_no}", headers=staff)
        searched = client.get("/api/v1/orders", params={"contact": contact}, headers=staff)
        customer, conversation_id = _chat(client, contact)
        replies = _say(customer, conversation_id, f"订单号 {order_no}，卡密没收到")
        customer.close()
    for answer in (shown, searched):
        assert answer.status_code == 503, answer.text
        assert answer.json()["error"]["code"] == "store_unavailable"
        assert "店铺系统暂时无法连接" in answer.json()["error"]["message"]
        assert int(answer.headers["Retry-After"]) >= 1
    assert replies and "工单号" in replies[-1]  # handed to a person, told the ticket number
    assert _outcome(database, conversation_id).reason == "store_unavailable"
    ticket = _ticket_of(database, conversation_id)
    assert ticket.key_info["handoff_reason"] == "store_unavailable"


def test_an_agent_replaces_a_dead_dujiaoka_key_once_through_the_write_account(
    dujiaoka_shop: DujiaokaShop,
    tmp_path: Path,
    settings: Settings,
    clock: FixedClock,
    database: Database,
    team: StaffTeam,
) -> None:
    examples = dujiaoka_shop.new_database("e2e_replace", orders=20, writable=True)
    store = make_connector(
        dujiaoka_shop, tmp_path, url=dujiaoka_shop.url(database="e2e_replace"),
        write_url=dujiaoka_shop.url(WRITER, "e2e_replace"), replace_keys=True,
    )  # fmt: skip
    case = examples["delivered_ok"]
    dead = store.get_order(case.order_no).delivery.card_keys[0]
    body = {"action": "replace_card_key", "order_no": case.order_no, "key_id": dead.key_id,
            "reason": "顾客反馈卡密无效，已核实"}  # fmt: skip
    with _live(settings, clock, database, store) as client:
        customer, conversation_id = _chat(client, case.contact)
        staff = login_headers(client, team.l1.username)  # type: ignore[arg-type]
        opened = client.post(
            f"/api/v1/conversations/{conversation_id}/tickets",
            json={"category": "card_invalid", "subject": "卡密无效", "order_nos": [case.order_no]},
            headers=staff,
        )
        ticket_id = opened.json()["ticket"]["id"]
        key = {**staff, "Idempotency-Key": "replace-0001"}
        first = client.post(f"/api/v1/tickets/{ticket_id}/actions", json=body, headers=key)
        again = client.post(f"/api/v1/tickets/{ticket_id}/actions", json=body, headers=key)
        panel = client.get(f"/api/v1/orders/{case.order_no}", headers=staff).json()
        timeline = _timeline(client, staff, ticket_id)
        customer.close()
    assert first.status_code == 201, first.text
    assert again.status_code == 200 and again.json()["replayed"]
    assert again.json()["reference"] == first.json()["reference"]
    keys = {k["key_id"]: k["state"] for k in panel["delivery"]["card_keys"]}
    assert keys[dead.key_id] == "invalid" and keys[first.json()["reference"]] == "unknown"
    assert {a["action"]: a for a in panel["actions"]}["replace_card_key"]["available"]
    assert [e for e in timeline if e["kind"] == "action.replace_card_key"]
    admin = contextlib.closing(dujiaoka_shop.server.admin("e2e_replace"))
    with admin as connection, connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM yiwen_carmi_replacements WHERE carmi_id IS NOT NULL")
        assert cursor.fetchone()[0] == 1
    store.close()
    dujiaoka_shop.server.execute("DROP DATABASE e2e_replace")


def test_an_undelivered_dujiaoka_order_is_never_repushed_but_given_to_the_owner(
    dujiaoka_shop: DujiaokaShop,
    tmp_path: Path,
    settings: Settings,
    clock: FixedClock,
    database: Database,
) -> None:
    store = make_connector(dujiaoka_shop, tmp_path)
    case = dujiaoka_shop.examples["pending"]  # paid, manual goods, 2 待处理
    with _live(settings, clock, database, store) as client:
        customer, conversation_id = _chat(client, case.contact)
        replies = _say(customer, conversation_id, f"订单号 {case.order_no} 付款了一直没到账")
        customer.close()
    ticket = _ticket_of(database, conversation_id)
    assert "店主" in replies[-1] and "独角数卡后台" in replies[-1]
    assert case.order_no in ticket.key_info["shop_owner_tasks"][0]
    assert _outcome(database, conversation_id).reason == "repush_upstream_not_supported"
    with database.reading() as db:
        assert db.scalar(select(AuditEntry).where(AuditEntry.action == "bot.action_not_supported"))
        assert not db.scalar(select(AuditEntry).where(AuditEntry.action == "bot.repush_upstream"))
    store.close()
