"""With an LLM configured, the bot's answers reach the customer reworded, never wrong.

The model is the OpenAI-compatible peer of tests/bot/llm/peer.py on loopback;
the turns go through the public conversation API of a real app.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.bot.llm.peer import Peer, text
from tests.support.live import serve
from yiwen.core.clock import FixedClock
from yiwen.core.db import Database
from yiwen.core.settings import Settings
from yiwen.store.connectors.demo.connector import DemoStoreConnector


@pytest.fixture
def llm(settings: Settings) -> Iterator[Peer]:
    fake = Peer()
    with serve(fake.app()) as url:
        settings.llm_enabled = True
        settings.llm_base_url = f"{url}/v1"
        settings.llm_model = "qwen-test"
        settings.llm_timeout_seconds = 2.0
        settings.bot_enabled = True
        yield fake


@pytest.fixture
def chat(
    llm: Peer, settings: Settings, clock: FixedClock, database: Database, demo: DemoStoreConnector
) -> Iterator[TestClient]:
    from yiwen.web.app import create_app

    app: FastAPI = create_app(settings, clock=clock, database=database, store=demo)
    with TestClient(app) as client:
        yield client


def ask(client: TestClient, contact: str, body: str) -> list[dict[str, object]]:
    started = client.post("/api/v1/customer/conversations", json={"contact": contact})
    assert started.status_code == 201, started.text
    headers = {"X-Conversation-Token": started.json()["token"]}
    conversation_id = started.json()["conversation"]["id"]
    sent = client.post(
        f"/api/v1/customer/conversations/{conversation_id}/messages",
        json={"client_msg_id": "m-1", "body": body},
        headers=headers,
    )
    assert sent.status_code == 201, sent.text
    page = client.get(
        f"/api/v1/customer/conversations/{conversation_id}/messages",
        params={"after": sent.json()["id"]},
        headers=headers,
    )
    return [m for m in page.json()["items"] if m["sender_type"] == "bot"]


def test_an_answer_is_posted_in_the_models_words_when_they_keep_every_fact(
    chat: TestClient, llm: Peer, demo: DemoStoreConnector
) -> None:
    case = demo.example_orders()["refund_pending"]
    captured: list[str] = []

    def keep_facts(messages: list[dict[str, str]]) -> dict[str, object]:
        standard = messages[-1]["content"].split("【标准答复】\n", 1)[1]
        captured.append(standard)
        return {"role": "assistant", "content": "亲，帮您查到啦～" + standard}

    llm.reply = keep_facts
    replies = ask(chat, case.contact or "", f"订单{case.order_no}的退款什么时候到账")
    assert replies, "the bot answered"
    assert captured, "the model was asked"
    assert any(str(r["body"]).startswith("亲，帮您查到啦～") for r in replies)


def test_a_wording_that_changes_a_fact_is_dropped_for_the_template(
    chat: TestClient, llm: Peer, demo: DemoStoreConnector
) -> None:
    case = demo.example_orders()["refund_pending"]
    llm.reply = text("您的退款 999 元已经到账啦")  # a made-up amount
    replies = ask(chat, case.contact or "", f"订单{case.order_no}的退款什么时候到账")
    assert replies
    assert all("999" not in str(r["body"]) for r in replies)


def test_a_card_key_is_never_sent_to_the_model(
    chat: TestClient, llm: Peer, demo: DemoStoreConnector
) -> None:
    case = demo.example_orders()["delivered_ok"]
    order = demo.get_order(case.order_no)
    secret = demo.reveal_card_key(case.order_no, order.delivery.card_keys[0].key_id)
    replies = ask(chat, case.contact or "", f"订单号 {case.order_no}，付款了卡密没收到")
    assert any(secret in str(r["body"]) for r in replies), "the key reached the buyer"
    sent_to_model = " ".join(str(m) for request in llm.requests for m in request["messages"])
    assert secret not in sent_to_model


def test_a_dead_model_leaves_the_templates_in_place(
    chat: TestClient, llm: Peer, demo: DemoStoreConnector
) -> None:
    llm.status = 500
    case = demo.example_orders()["refund_pending"]
    replies = ask(chat, case.contact or "", f"订单{case.order_no}的退款什么时候到账")
    assert replies and all(r["body"] for r in replies)
    assert llm.requests, "the model was tried"
