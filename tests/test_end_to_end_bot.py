"""The bot's path over real HTTP on loopback (uvicorn in a thread), bot switched on.

A customer reports a missing card key: the bot identifies the order, checks
the buyer, resends and the customer sees the key in the conversation. Another
customer asks for a human: the bot opens a ticket, tells the number, and the
agent who opens it reads the case summary without asking anything again.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI

from tests.factories import STAFF_PASSWORD, StaffTeam
from tests.support.live import serve
from yiwen.store.connectors.demo.connector import DemoStoreConnector


@pytest.fixture
def base_url(app: FastAPI) -> Iterator[str]:
    with serve(app) as url:
        yield url


def _start(base_url: str, contact: str) -> tuple[httpx.Client, str]:
    customer = httpx.Client(base_url=base_url, timeout=20)
    started = customer.post("/api/v1/customer/conversations", json={"contact": contact})
    assert started.status_code == 201, started.text
    assert started.json()["conversation"]["status"] == "bot"
    customer.headers["X-Conversation-Token"] = started.json()["token"]
    return customer, started.json()["conversation"]["id"]


def _say(customer: httpx.Client, conversation_id: str, key: str, text: str) -> list[dict]:
    sent = customer.post(
        f"/api/v1/customer/conversations/{conversation_id}/messages",
        json={"client_msg_id": key, "body": text},
    )
    assert sent.status_code == 201, sent.text
    page = customer.get(
        f"/api/v1/customer/conversations/{conversation_id}/messages",
        params={"after": sent.json()["id"]},
    )
    assert page.status_code == 200, page.text
    return list(page.json()["items"])


def test_a_missing_key_is_resent_by_the_bot_and_the_customer_sees_it(
    base_url: str, demo: DemoStoreConnector
) -> None:
    case = demo.example_orders()["delivered_ok"]
    customer, conversation_id = _start(base_url, case.contact or "")
    replies = _say(customer, conversation_id, "k-1", f"订单号 {case.order_no}，付款了卡密没收到")
    assert replies and replies[0]["sender_type"] == "bot"  # the bot answers before any human
    order = demo.get_order(case.order_no)
    secret = demo.reveal_card_key(case.order_no, order.delivery.card_keys[0].key_id)
    assert secret in replies[-1]["body"]
    assert order.delivery.resend_count >= 1
    state = customer.get(f"/api/v1/customer/conversations/{conversation_id}")
    assert state.json()["status"] == "resolved"


def test_asking_for_a_human_gives_a_ticket_number_and_the_agent_sees_the_case_summary(
    base_url: str, demo: DemoStoreConnector, team: StaffTeam
) -> None:
    case = demo.example_orders()["push_failed"]
    customer, conversation_id = _start(base_url, case.contact or "")
    _say(customer, conversation_id, "h-1", f"订单{case.order_no}，微信付的，一直没到账")
    replies = _say(customer, conversation_id, "h-2", "转人工")
    told = replies[-1]["body"]
    assert "工单号" in told
    number = re.search(r"YW\d{8}-\d{6}", told).group()

    agent = httpx.Client(base_url=base_url, timeout=20)
    login = agent.post(
        "/api/v1/auth/login", json={"username": team.l1.username, "password": STAFF_PASSWORD}
    )
    agent.headers["Authorization"] = f"Bearer {login.json()['token']}"
    detail = agent.get(f"/api/v1/conversations/{conversation_id}")
    assert detail.status_code == 200, detail.text
    (ticket,) = [t for t in detail.json()["tickets"] if t["number"] == number]
    full = agent.get(f"/api/v1/tickets/{ticket['id']}")
    assert full.status_code == 200, full.text
    notes = [e["body"] for e in full.json()["timeline"] if e["kind"] == "note"]
    assert notes and "机器人交接摘要" in notes[-1]
    assert case.order_no in notes[-1] and "重新推送上游" in notes[-1]
    assert "wechat" in notes[-1] or "微信" in notes[-1]
    assert case.order_no in full.json()["order_nos"]
