"""A waiting customer sees their place and an estimated wait, and hears when it changes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from tests.factories import StaffTeam, login_headers
from tests.routing.conftest import Desk, Work
from yiwen.core.events import DomainEvent, bus

CUSTOMER = "/api/v1/customer/conversations"


def _place(client: TestClient, work: Work) -> dict[str, object]:
    response = client.get(
        f"{CUSTOMER}/{work.conversation_id}/queue", headers={"X-Conversation-Token": work.token}
    )
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


@pytest.fixture
def announced() -> Iterator[list[DomainEvent]]:
    """``queue.position_changed`` events as listeners receive them, after commit."""
    seen: list[DomainEvent] = []
    bus.subscribe("queue.position_changed", seen.append)
    yield seen
    bus.unsubscribe("queue.position_changed", seen.append)


def test_the_third_in_line_is_told_their_place_the_wait_and_the_promise(
    client: TestClient, desk: Desk
) -> None:
    desk.agent("solo", capacity=2)
    desk.waiting()
    desk.waiting()  # both seats taken
    line = [desk.waiting(), desk.waiting(), desk.waiting()]
    place = _place(client, line[2])
    # c = 2 slots, no history: 6 min handle time, μ = 1/6 per minute; all slots busy, so the
    # third waits for three completions at cμ = 1/3 a minute: 9 minutes.
    assert place["queued"] is True
    assert place["queue"] == "general_l1"
    assert place["position"] == 3
    assert place["estimated_wait_minutes"] == 9
    assert place["agents_online"] == 1
    message = str(place["message"])
    assert message.startswith("当前排队第3位，预计等待约9分钟；工单将在")
    assert message.endswith("内由专人处理")
    assert _place(client, line[0])["position"] == 1
    assert _place(client, line[0])["estimated_wait_minutes"] == 3


def test_urgent_work_is_served_before_older_work(client: TestClient, desk: Desk) -> None:
    older = desk.waiting()
    urgent = desk.waiting(urgent=True)
    assert _place(client, urgent)["position"] == 1
    assert _place(client, older)["position"] == 2


def test_with_nobody_online_the_customer_is_told_so_with_the_tickets_promise(
    client: TestClient, desk: Desk
) -> None:
    work = desk.waiting()
    place = _place(client, work)
    assert place["position"] == 1
    assert place["estimated_wait_minutes"] is None
    assert place["agents_online"] == 0
    assert str(place["message"]).startswith("当前暂无客服在线，工单将在")
    chat_only = desk.waiting(category=None)
    assert _place(client, chat_only)["message"] == (
        "当前暂无客服在线，请留言，客服上线后将第一时间为您处理"
    )


def test_an_assigned_conversation_is_no_longer_queued(client: TestClient, desk: Desk) -> None:
    desk.agent("solo")
    work = desk.waiting()
    place = _place(client, work)
    assert place["queued"] is False and place["position"] is None
    assert place["message"] == "客服已接入，正在为您处理"


def test_another_customers_conversation_is_refused(client: TestClient, desk: Desk) -> None:
    mine, theirs = desk.waiting(), desk.waiting()
    response = client.get(
        f"{CUSTOMER}/{theirs.conversation_id}/queue", headers={"X-Conversation-Token": mine.token}
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "conversation_not_found"
    anonymous = client.get(f"{CUSTOMER}/{theirs.conversation_id}/queue")
    assert anonymous.status_code == 401


def test_moving_up_is_announced_to_the_customer_and_pushed_to_their_socket(
    client: TestClient, desk: Desk, announced: list[DomainEvent]
) -> None:
    agent = desk.agent("solo", capacity=1)
    first = desk.waiting()
    ahead = desk.waiting()
    behind = desk.waiting()
    assert [
        e.payload["position"]
        for e in announced
        if e.payload["conversation_id"] == behind.conversation_id
    ] == [2]
    url = f"{CUSTOMER}/{behind.conversation_id}/ws?token={behind.token}"
    with client.websocket_connect(url) as ws:
        assert ws.receive_json()["type"] == "ready"
        desk.resolve(first, agent)  # the seat frees, ``ahead`` is assigned, ``behind`` moves up
        pushed = ws.receive_json()
    assert desk.assignee(ahead) == agent.id
    assert pushed["type"] == "queue.position_changed"
    assert pushed["position"] == 1
    assert pushed["message"].startswith("当前排队第1位")
    assert "customer_id" not in pushed
    latest = [e for e in announced if e.payload["conversation_id"] == behind.conversation_id][-1]
    assert latest.payload["position"] == 1


def test_an_agent_coming_online_changes_the_estimate_and_it_is_announced(
    desk: Desk, announced: list[DomainEvent]
) -> None:
    work = desk.waiting()
    told = [e.payload for e in announced if e.payload["conversation_id"] == work.conversation_id]
    assert told[-1]["agents_online"] == 0
    busy = desk.agent("busy", capacity=1, presence="offline")
    with_one = desk.waiting()  # waits too: nobody online
    desk.presence(busy, "online")  # takes the first in line
    assert desk.assignee(work) == busy.id
    told = [
        e.payload for e in announced if e.payload["conversation_id"] == with_one.conversation_id
    ]
    assert told[-1]["position"] == 1
    assert told[-1]["agents_online"] == 1
    assert told[-1]["estimated_wait_minutes"] == 6


def test_an_admins_default_handle_time_feeds_the_estimate(
    client: TestClient, desk: Desk, team: StaffTeam
) -> None:
    desk.agent("solo", capacity=2)
    desk.waiting()
    desk.waiting()
    line = [desk.waiting(), desk.waiting(), desk.waiting()]
    changed = client.patch(
        "/api/v1/admin/routing/queues/general_l1",
        json={"default_handle_minutes": 10},
        headers=login_headers(client, "supervisor"),
    )
    assert changed.status_code == 200, changed.text
    # Two busy slots of 10 minutes: the third in line waits 3 / (2/10) = 15 minutes.
    assert _place(client, line[2])["estimated_wait_minutes"] == 15


def test_recent_handle_times_replace_the_default(client: TestClient, desk: Desk) -> None:
    agent = desk.agent("solo", capacity=1)
    first = desk.waiting()  # assigned at once
    desk.waiting()
    third = desk.waiting()
    desk.clock.advance(timedelta(minutes=20))
    desk.resolve(first, agent)  # 22 minutes from assignment to resolution
    # One slot, a mean handle time of 22 minutes: the next in line waits 22 minutes.
    assert _place(client, third)["position"] == 1
    assert _place(client, third)["estimated_wait_minutes"] == 22
