"""The conversation inbox: each row carries its open ticket, and the urgent and at-risk views."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from tests.workspace import test_inbox
from tests.workspace.conftest import Seats
from tests.workspace.test_inbox import Inbox
from yiwen.core.clock import FixedClock
from yiwen.core.db import Database
from yiwen.tickets.models import Ticket

# The five tickets in known states that the ticket-inbox tests use.
inbox = test_inbox.inbox


def _rows(response: Any) -> dict[str, dict[str, Any]]:
    assert response.status_code == 200, response.text
    return {row["id"]: row for row in response.json()["items"]}


def _conversation_of(database: Database, ticket_id: str) -> str:
    with database.reading() as db:
        ticket = db.get(Ticket, ticket_id)
        assert ticket is not None and ticket.conversation_id is not None
        return ticket.conversation_id


def test_each_inbox_row_carries_its_open_ticket_and_a_resolved_one_none(
    client: TestClient, inbox: Inbox, seat: Seats, database: Database
) -> None:
    rows = _rows(client.get("/api/v1/inbox/conversations", headers=seat("l1")))
    open_row = rows[_conversation_of(database, inbox.a)]
    assert open_row["ticket"]["id"] == inbox.a
    assert open_row["ticket"]["urgent"] is True
    assert open_row["ticket"]["first_response_due_at"] is not None
    assert rows[_conversation_of(database, inbox.d)]["ticket"] is None  # resolved


def test_the_urgent_view_keeps_only_conversations_with_an_open_urgent_ticket(
    client: TestClient, inbox: Inbox, seat: Seats, database: Database
) -> None:
    rows = _rows(
        client.get("/api/v1/inbox/conversations", params={"urgent": "true"}, headers=seat("l1"))
    )
    # d is urgent too but resolved: nothing is at stake any more.
    assert set(rows) == {_conversation_of(database, inbox.a)}


def test_the_at_risk_view_follows_the_clock_towards_the_promises(
    client: TestClient, inbox: Inbox, seat: Seats, database: Database, clock: FixedClock
) -> None:
    def at_risk() -> set[str]:
        return set(
            _rows(
                client.get(
                    "/api/v1/inbox/conversations",
                    params={"at_risk": "true"},
                    headers=seat("l1"),
                )
            )
        )

    with database.reading() as db:
        b = db.get(Ticket, inbox.b)
        assert b is not None and b.first_response_due_at is not None
        b_due = b.first_response_due_at.replace(tzinfo=clock.now().tzinfo)
    clock.set(b_due - timedelta(minutes=40))
    assert _conversation_of(database, inbox.b) not in at_risk()
    clock.set(b_due - timedelta(minutes=10))
    assert _conversation_of(database, inbox.b) in at_risk()
    assert _conversation_of(database, inbox.d) not in at_risk()  # resolved tickets never are
