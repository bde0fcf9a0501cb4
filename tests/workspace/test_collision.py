"""The collision notice over a real WebSocket: one agent's "viewing"/"typing" reaches the
other agents on the staff stream, stamped by the server, never the customer's stream.

A real uvicorn serves the app on loopback and the ``websockets`` client speaks the
protocol over TCP, the way two consoles in two browsers do.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from websockets.sync.client import ClientConnection, connect

from tests.factories import StaffTeam
from tests.support.live import serve
from tests.workspace.conftest import Reporter, Seats

TIMEOUT = 20


@contextmanager
def staff_socket(
    base_url: str, bearer: dict[str, str], origin: str | None = None
) -> Iterator[ClientConnection]:
    token = bearer["Authorization"].split()[1]
    url = base_url.replace("http://", "ws://") + f"/api/v1/staff/ws?token={token}"
    headers = {"Origin": origin} if origin else None
    with connect(url, additional_headers=headers, open_timeout=TIMEOUT) as ws:
        assert receive(ws)["type"] == "ready"
        yield ws


def receive(ws: ClientConnection) -> dict[str, Any]:
    event: dict[str, Any] = json.loads(ws.recv(timeout=TIMEOUT))
    return event


def next_presence(ws: ClientConnection) -> dict[str, Any]:
    """The next collision event, skipping the domain events the stream also carries."""
    while True:
        event = receive(ws)
        if event["type"] == "staff.presence":
            return event


def announce(ws: ClientConnection, conversation_id: str, state: str) -> None:
    ws.send(json.dumps({"type": "presence", "conversation_id": conversation_id, "state": state}))


def test_one_agent_viewing_and_typing_reaches_the_other_agent_stamped_by_the_server(
    app: FastAPI, client: TestClient, seat: Seats, report: Reporter, team: StaffTeam
) -> None:
    reported = report(category="how_to_use", display_name="小林")
    with (
        serve(app) as base_url,
        staff_socket(base_url, seat("l1")) as first,
        staff_socket(base_url, seat("l2")) as second,
    ):
        announce(first, reported.conversation_id, "viewing")
        seen = next_presence(second)
        # A client cannot speak for someone else: the server names the sender.
        first.send(
            json.dumps(
                {
                    "type": "presence",
                    "conversation_id": reported.conversation_id,
                    "state": "typing",
                    "agent_id": team.supervisor.id,
                    "agent_name": "主管",
                }
            )
        )
        typing = next_presence(second)
        announce(first, reported.conversation_id, "left")
        left = next_presence(second)

    assert seen["conversation_id"] == reported.conversation_id
    assert seen["state"] == "viewing"
    assert (seen["agent_id"], seen["agent_name"]) == (team.l1.id, team.l1.display_name)
    assert (typing["state"], typing["agent_id"], typing["agent_name"]) == (
        "typing",
        team.l1.id,
        team.l1.display_name,
    )
    assert left["state"] == "left"


def test_malformed_or_unknown_announcements_are_not_relayed(
    app: FastAPI, seat: Seats, report: Reporter, team: StaffTeam
) -> None:
    reported = report(category="how_to_use", display_name="小周")
    with (
        serve(app) as base_url,
        staff_socket(base_url, seat("l1")) as first,
        staff_socket(base_url, seat("l2")) as second,
    ):
        first.send("not json")
        first.send(json.dumps(["presence"]))
        announce(first, reported.conversation_id, "deleting")
        announce(first, "../../etc/passwd", "viewing")
        first.send(json.dumps({"type": "chat", "conversation_id": reported.conversation_id}))
        announce(first, reported.conversation_id, "typing")
        relayed = next_presence(second)
    # The first event the other agent hears is the one well-formed announcement.
    assert (relayed["state"], relayed["conversation_id"]) == ("typing", reported.conversation_id)


def test_another_sites_socket_cannot_announce_for_an_agent(
    app: FastAPI, seat: Seats, report: Reporter, team: StaffTeam
) -> None:
    """A page on another origin riding the agent's cookie may not put words in their mouth."""
    reported = report(category="how_to_use", display_name="小吴")
    with serve(app) as base_url:
        host = base_url.removeprefix("http://")
        with (
            staff_socket(base_url, seat("l1"), origin="http://evil.example") as foreign,
            staff_socket(base_url, seat("supervisor"), origin=f"http://{host}") as console,
            staff_socket(base_url, seat("l2")) as listener,
        ):
            announce(foreign, reported.conversation_id, "viewing")
            announce(console, reported.conversation_id, "viewing")
            relayed = next_presence(listener)
    assert relayed["agent_id"] == team.supervisor.id


def test_the_customer_stream_never_carries_who_is_viewing(
    app: FastAPI, client: TestClient, seat: Seats, report: Reporter
) -> None:
    reported = report(category="how_to_use", display_name="小郑")
    token = reported.customer["X-Conversation-Token"]
    with serve(app) as base_url:
        customer_url = (
            base_url.replace("http://", "ws://")
            + f"/api/v1/customer/conversations/{reported.conversation_id}/ws?token={token}"
        )
        with (
            staff_socket(base_url, seat("l2")) as agent,
            connect(customer_url, open_timeout=TIMEOUT) as customer,
        ):
            assert receive(customer)["type"] == "ready"
            announce(agent, reported.conversation_id, "typing")
            assert next_presence(agent)["state"] == "typing"  # relayed to the staff stream
            reply = client.post(
                f"/api/v1/conversations/{reported.conversation_id}/messages",
                json={"body": "您好，正在为您查询"},
                headers=seat("l2"),
            )
            assert reply.status_code == 201, reply.text
            # Sent after the announcement, the reply is still the first thing the customer hears.
            first = receive(customer)
    assert first["type"] == "message.created"
    assert first["message"]["body"] == "您好，正在为您查询"
