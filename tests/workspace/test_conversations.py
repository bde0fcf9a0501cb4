"""The staff side of conversations: reading a thread, answering it, opening a ticket from it,
and the list of colleagues a ticket can be handed to."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from tests.factories import StaffTeam, make_staff
from tests.workspace.conftest import Seats
from yiwen.auth.models import StaffUser
from yiwen.core.clock import FixedClock
from yiwen.core.db import Database
from yiwen.store.connectors.demo.shop import ExampleOrder
from yiwen.tickets.models import Ticket


@pytest.fixture
def chat(client: TestClient, cases: dict[str, ExampleOrder]) -> tuple[str, dict[str, str]]:
    """A customer who wrote twice in the widget and has no ticket yet."""
    started = client.post(
        "/api/v1/customer/conversations", json={"contact": cases["push_failed"].contact}
    )
    assert started.status_code == 201, started.text
    conversation_id = started.json()["conversation"]["id"]
    headers = {"X-Conversation-Token": started.json()["token"]}
    for n, text in enumerate(("在吗", f"订单 {cases['push_failed'].order_no} 没收到卡密")):
        sent = client.post(
            f"/api/v1/customer/conversations/{conversation_id}/messages",
            json={"client_msg_id": f"m-{n}", "body": text},
            headers=headers,
        )
        assert sent.status_code == 201, sent.text
    return conversation_id, headers


def _thread(client: TestClient, seat: Seats, conversation_id: str) -> dict[str, Any]:
    response = client.get(f"/api/v1/conversations/{conversation_id}", headers=seat("l1"))
    assert response.status_code == 200, response.text
    thread: dict[str, Any] = response.json()
    return thread


def _ticket_count(database: Database) -> int:
    with database.reading() as db:
        return db.scalar(select(func.count()).select_from(Ticket)) or 0


def test_reading_marks_the_conversation_read_and_a_reply_takes_it(
    client: TestClient, chat: tuple[str, dict[str, str]], seat: Seats, team: StaffTeam
) -> None:
    conversation_id, customer = chat
    assert _thread(client, seat, conversation_id)["conversation"]["unread_for_staff"] == 2
    read = client.post(f"/api/v1/conversations/{conversation_id}/read", headers=seat("l1"))
    assert read.status_code == 204, read.text
    assert _thread(client, seat, conversation_id)["conversation"]["unread_for_staff"] == 0

    reply = client.post(
        f"/api/v1/conversations/{conversation_id}/messages",
        json={"body": "您好，我来帮您查"},
        headers=seat("l1"),
    )
    assert reply.status_code == 201, reply.text
    conversation = _thread(client, seat, conversation_id)["conversation"]
    assert (conversation["assignee_id"], conversation["status"]) == (team.l1.id, "open")
    seen = client.get(
        f"/api/v1/customer/conversations/{conversation_id}/messages", headers=customer
    )
    assert seen.json()["items"][-1]["body"] == "您好，我来帮您查"


def test_an_agent_opens_a_ticket_for_the_conversation_on_a_checked_order(
    client: TestClient,
    chat: tuple[str, dict[str, str]],
    seat: Seats,
    cases: dict[str, ExampleOrder],
    database: Database,
) -> None:
    conversation_id, _ = chat
    order_no = cases["push_failed"].order_no
    missing = client.post(
        f"/api/v1/conversations/{conversation_id}/tickets",
        json={
            "category": "delivery_missing",
            "subject": "没收到卡密",
            "order_nos": ["NOSUCH00001"],
        },
        headers=seat("l1"),
    )
    assert missing.status_code == 404, missing.text
    assert missing.json()["error"]["code"] == "order_not_found"
    assert _ticket_count(database) == 0

    opened = client.post(
        f"/api/v1/conversations/{conversation_id}/tickets",
        json={"category": "delivery_missing", "subject": "没收到卡密", "order_nos": [order_no]},
        headers=seat("l1"),
    )
    assert opened.status_code == 201, opened.text
    detail = opened.json()
    assert detail["order_nos"] == [order_no]
    assert detail["ticket"]["conversation_id"] == conversation_id
    assert [t["id"] for t in _thread(client, seat, conversation_id)["tickets"]] == [
        detail["ticket"]["id"]
    ]


def test_the_agent_list_offers_only_active_colleagues_who_work_tickets(
    client: TestClient, seat: Seats, team: StaffTeam, database: Database, clock: FixedClock
) -> None:
    gone = make_staff(database, clock, "agent_l1", username="gone", display_name="已离职")
    trainee = make_staff(database, clock, "agent_l1", username="trainee", display_name="实习生")
    with database.transaction() as db:
        db.execute(update(StaffUser).where(StaffUser.id == gone.id).values(is_active=False))
        db.execute(update(StaffUser).where(StaffUser.id == trainee.id).values(role="trainee"))
    response = client.get("/api/v1/agents", headers=seat("l1"))
    assert response.status_code == 200, response.text
    listed = {a["id"] for a in response.json()}
    assert listed == {
        team.admin.id,
        team.supervisor.id,
        team.l1.id,
        team.l2.id,
        team.tech.id,
        team.finance.id,
        team.supplier_liaison.id,
        team.security.id,
    }
