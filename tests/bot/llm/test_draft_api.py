"""``POST /api/v1/inbox/conversations/{id}/draft`` against the stand-in LLM service (peer.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.bot.llm.peer import Peer, text, tool_call
from tests.factories import StaffTeam, login_headers
from yiwen.core.clock import FixedClock
from yiwen.core.db import Database
from yiwen.core.settings import Settings
from yiwen.store.connectors.demo.connector import DemoStoreConnector

CUSTOMER_SAYS = "卡密显示已被使用，怎么办"


def _app(
    settings: Settings, clock: FixedClock, database: Database, demo: Any, **llm: Any
) -> FastAPI:
    from yiwen.web.app import create_app

    configured = settings.model_copy(update={"bot_enabled": False, **llm})
    return create_app(configured, clock=clock, database=database, store=demo)


@pytest.fixture
def llm_client(
    peer: tuple[Peer, str],
    settings: Settings,
    clock: FixedClock,
    database: Database,
    demo: DemoStoreConnector,
) -> Iterator[TestClient]:
    _, url = peer
    app = _app(
        settings,
        clock,
        database,
        demo,
        llm_enabled=True,
        llm_base_url=url,
        llm_model="deepseek-test",
        llm_timeout_seconds=1.0,
    )
    with TestClient(app) as client:
        yield client


def _conversation_with_ticket(client: TestClient, staff: dict[str, str]) -> tuple[str, str]:
    started = client.post("/api/v1/customer/conversations", json={"channel": "web"}).json()
    conversation_id, token = started["conversation"]["id"], started["token"]
    posted = client.post(
        f"/api/v1/customer/conversations/{conversation_id}/messages",
        json={"client_msg_id": "m-1", "body": CUSTOMER_SAYS},
        headers={"X-Conversation-Token": token},
    )
    assert posted.status_code == 201, posted.text
    client.post(
        f"/api/v1/conversations/{conversation_id}/messages",
        json={"body": "仅内部：疑似倒卖账号", "visibility": "internal"},
        headers=staff,
    )
    opened = client.post(
        f"/api/v1/conversations/{conversation_id}/tickets",
        json={"category": "card_invalid", "subject": "卡密已被使用"},
        headers=staff,
    )
    assert opened.status_code == 201, opened.text
    return conversation_id, opened.json()["ticket"]["number"]


def test_an_agent_gets_a_draft_built_from_the_thread_and_the_ticket(
    llm_client: TestClient, peer: tuple[Peer, str], team: StaffTeam
) -> None:
    fake, _ = peer
    staff = login_headers(llm_client, "l1")
    conversation_id, number = _conversation_with_ticket(llm_client, staff)
    fake.reply = text(f"您好，您的工单 {number} 已受理，我们正在核查卡密的使用记录。")
    response = llm_client.post(
        f"/api/v1/inbox/conversations/{conversation_id}/draft", headers=staff
    )
    assert response.status_code == 200, response.text
    assert response.json() == {
        "draft": f"您好，您的工单 {number} 已受理，我们正在核查卡密的使用记录。",
        "model": "deepseek-test",
    }
    prompt = fake.requests[-1]["messages"][1]["content"]
    assert CUSTOMER_SAYS in prompt and number in prompt
    assert "疑似倒卖账号" not in prompt


@pytest.mark.parametrize(
    ("setup", "code"),
    [
        ({"status": 500}, "llm_unavailable"),
        ({"delay_seconds": 3.0}, "llm_unavailable"),
        ({"reply": tool_call("refund_order", '{"amount": "50"}')}, "llm_output_refused"),
        ({"reply": text("已为您退款 99 元")}, "llm_output_refused"),
    ],
)
def test_a_failing_or_unsafe_llm_gives_a_clear_503(
    llm_client: TestClient,
    peer: tuple[Peer, str],
    team: StaffTeam,
    setup: dict[str, Any],
    code: str,
) -> None:
    fake, _ = peer
    staff = login_headers(llm_client, "l1")
    conversation_id, _ = _conversation_with_ticket(llm_client, staff)
    for name, value in setup.items():
        setattr(fake, name, value)
    response = llm_client.post(
        f"/api/v1/inbox/conversations/{conversation_id}/draft", headers=staff
    )
    assert response.status_code == 503
    assert response.json()["error"]["code"] == code and response.json()["error"]["message"]


def test_with_the_llm_disabled_a_draft_is_a_409(client: TestClient, team: StaffTeam) -> None:
    staff = login_headers(client, "l1")
    conversation_id, _ = _conversation_with_ticket(client, staff)
    response = client.post(f"/api/v1/inbox/conversations/{conversation_id}/draft", headers=staff)
    assert response.status_code == 409 and response.json()["error"]["code"] == "llm_disabled"


def test_drafts_need_inbox_access_and_a_real_conversation(
    llm_client: TestClient, peer: tuple[Peer, str], team: StaffTeam
) -> None:
    fake, _ = peer
    assert llm_client.post("/api/v1/inbox/conversations/x/draft").status_code == 401
    staff = login_headers(llm_client, "l1")
    missing = llm_client.post("/api/v1/inbox/conversations/nope/draft", headers=staff)
    assert missing.status_code == 404
    assert fake.requests == []
