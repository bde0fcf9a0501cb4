"""Messages reach the customer's and the staff's WebSockets after commit, and only those allowed."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.factories import login_headers, make_staff
from yiwen.core.clock import FixedClock
from yiwen.core.db import Database

BASE = "/api/v1/customer"


def test_customer_socket_streams_new_public_messages(client: TestClient) -> None:
    started = client.post(f"{BASE}/conversations", json={}).json()
    conversation_id, token = started["conversation"]["id"], started["token"]
    with client.websocket_connect(f"{BASE}/conversations/{conversation_id}/ws?token={token}") as ws:
        assert ws.receive_json()["type"] == "ready"
        client.post(
            f"{BASE}/conversations/{conversation_id}/messages",
            json={"client_msg_id": "live-1", "body": "在吗"},
            headers={"X-Conversation-Token": token},
        )
        event = ws.receive_json()
    assert event["type"] == "message.created"
    assert event["message"]["body"] == "在吗"
    assert "customer_id" not in event


def test_customer_socket_with_a_bad_token_is_closed(client: TestClient) -> None:
    started = client.post(f"{BASE}/conversations", json={}).json()
    conversation_id = started["conversation"]["id"]
    other = client.post(f"{BASE}/conversations", json={}).json()["token"]
    for query in ("token=wrong", f"token={other}", ""):
        url = f"{BASE}/conversations/{conversation_id}/ws?{query}"
        try:
            with client.websocket_connect(url) as ws:
                ws.receive_json()
            raise AssertionError("socket should have been closed")
        except Exception as exc:  # starlette raises WebSocketDisconnect on a refused socket
            assert getattr(exc, "code", None) == 4401, exc


def test_internal_notes_reach_staff_but_never_the_customer(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    agent = make_staff(database, clock, "agent_l1", username="l1")
    headers = login_headers(client, "l1")
    token = headers["Authorization"].split()[1]
    started = client.post(f"{BASE}/conversations", json={}).json()
    conversation_id, customer_token = started["conversation"]["id"], started["token"]
    customer_ws_url = f"{BASE}/conversations/{conversation_id}/ws?token={customer_token}"
    with (
        client.websocket_connect(f"/api/v1/staff/ws?token={token}") as staff_ws,
        client.websocket_connect(customer_ws_url) as customer_ws,
    ):
        staff_ws.receive_json()
        customer_ws.receive_json()
        note = client.post(
            f"/api/v1/conversations/{conversation_id}/messages",
            json={"body": "内部：此人疑似羊毛党", "visibility": "internal"},
            headers=headers,
        )
        assert note.status_code == 201, note.text
        reply = client.post(
            f"/api/v1/conversations/{conversation_id}/messages",
            json={"body": "您好，我来帮您查一下"},
            headers=headers,
        )
        assert reply.status_code == 201
        staff_events = [staff_ws.receive_json(), staff_ws.receive_json()]
        customer_event = customer_ws.receive_json()
    assert [e["message"]["visibility"] for e in staff_events] == ["internal", "public"]
    assert customer_event["message"]["body"] == "您好，我来帮您查一下"
    assert staff_events[1]["message"]["sender_name"] == agent.display_name
