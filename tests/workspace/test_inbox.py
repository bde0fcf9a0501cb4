"""The ticket inbox: views, filters and keyset pagination that never repeats or skips a ticket."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.factories import StaffTeam
from tests.workspace.conftest import Reporter, Seats, ticket_row
from yiwen.core.clock import FixedClock
from yiwen.core.db import Database
from yiwen.store.connectors.demo.shop import ExampleOrder


@dataclass(frozen=True)
class Inbox:
    """Five tickets in known states (letters are the order they were created in)."""

    a: str  # delivery_missing, urgent, l1's, open
    b: str  # refund_request, unassigned, new
    c: str  # card_invalid, l2's, pending_customer
    d: str  # refund_request, urgent, l1's, resolved
    e: str  # other, unassigned, new

    def names(self, ids: list[str]) -> list[str]:
        by_id = {v: k for k, v in vars(self).items()}
        return [by_id[i] for i in ids]


def _ids(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return [t["id"] for t in response.json()["items"]]


@pytest.fixture
def inbox(
    client: TestClient,
    report: Reporter,
    seat: Seats,
    team: StaffTeam,
    clock: FixedClock,
    cases: dict[str, ExampleOrder],
) -> Inbox:
    def later() -> None:
        clock.advance(timedelta(minutes=1))

    a = report(order_no=cases["push_failed"].order_no, urgent=True)
    later()
    b = report(category="refund_request", order_no=cases["refunded"].order_no, demand="refund")
    later()
    c = report(category="card_invalid", order_no=cases["key_used"].order_no)
    later()
    d = report(category="refund_request", order_no=cases["wrong_region"].order_no, urgent=True)
    later()
    e = report(category="other", description="想问下怎么开发票", demand="explain")
    later()
    l1, l2 = seat("l1"), seat("l2")
    for ticket, agent, headers in ((a, team.l1, l1), (c, team.l2, l2), (d, team.l1, l1)):
        taken = client.post(
            f"/api/v1/tickets/{ticket.id}/assign", json={"agent_id": agent.id}, headers=headers
        )
        assert taken.status_code == 200, taken.text
        later()
    waiting = client.patch(
        f"/api/v1/tickets/{c.id}", json={"status": "pending_customer"}, headers=l2
    )
    assert waiting.status_code == 200, waiting.text
    later()
    done = client.post(f"/api/v1/tickets/{d.id}/resolve", json={"note": "已退款"}, headers=l1)
    assert done.status_code == 200, done.text
    return Inbox(a.id, b.id, c.id, d.id, e.id)


@pytest.mark.parametrize(
    ("username", "params", "expected"),
    [
        ("l1", {"view": "mine"}, {"a", "d"}),
        ("l2", {"view": "mine"}, {"c"}),
        ("finance", {"view": "mine"}, set()),
        ("l1", {"view": "unassigned"}, {"b", "e"}),
        ("l1", {"view": "all"}, {"a", "b", "c", "d", "e"}),
        ("l1", {"status": "open"}, {"a"}),
        ("l1", {"status": ["new", "pending_customer"]}, {"b", "c", "e"}),
        ("l1", {"status": "closed"}, set()),
        ("l1", {"open_only": "true"}, {"a", "b", "c", "e"}),
        ("l1", {"category": "refund_request"}, {"b", "d"}),
        ("l1", {"category": "no_such_category"}, set()),
        ("l1", {"urgent": "true"}, {"a", "d"}),
        ("l1", {"urgent": "false"}, {"b", "c", "e"}),
        ("l1", {"view": "mine", "urgent": "true", "category": "refund_request"}, {"d"}),
        ("l2", {"view": "unassigned", "category": "refund_request"}, {"b"}),
        ("l1", {"view": "mine", "status": "resolved"}, {"d"}),
    ],
)
def test_inbox_filters_return_exactly_the_matching_tickets(
    username: str,
    params: dict[str, Any],
    expected: set[str],
    client: TestClient,
    inbox: Inbox,
    seat: Seats,
) -> None:
    found = _ids(client.get("/api/v1/tickets", params=params, headers=seat(username)))
    assert set(inbox.names(found)) == expected
    assert len(found) == len(set(found))


def test_the_inbox_lists_the_most_recently_touched_ticket_first(
    client: TestClient, inbox: Inbox, seat: Seats, clock: FixedClock
) -> None:
    before = inbox.names(_ids(client.get("/api/v1/tickets", headers=seat("l1"))))
    assert before == ["d", "c", "a", "e", "b"]  # resolve, status change, assignments, creation
    clock.advance(timedelta(minutes=5))
    replied = client.post(
        f"/api/v1/tickets/{inbox.b}/replies", json={"body": "您好，正在核实"}, headers=seat("l1")
    )
    assert replied.status_code == 201, replied.text
    after = inbox.names(_ids(client.get("/api/v1/tickets", headers=seat("l1"))))
    assert after == ["b", "d", "c", "a", "e"]


@pytest.mark.parametrize(
    "params",
    [
        {"status": "done"},
        {"status": ["open", "bogus"]},
        {"view": "everything"},
        {"limit": "0"},
        {"limit": "101"},
        {"urgent": "maybe"},
        {"priority": "asap"},
        {"queue": "q" * 41},
    ],
)
def test_inbox_rejects_unknown_filter_values_with_a_json_422(
    params: dict[str, Any], client: TestClient, seat: Seats
) -> None:
    response = client.get("/api/v1/tickets", params=params, headers=seat("l1"))
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "invalid_request"


def _walk(
    client: TestClient, headers: dict[str, str], limit: int, **params: Any
) -> list[list[str]]:
    pages: list[list[str]] = []
    cursor = None
    while True:
        query = {"limit": limit, **params} | ({"cursor": cursor} if cursor else {})
        response = client.get("/api/v1/tickets", params=query, headers=headers)
        assert response.status_code == 200, response.text
        pages.append([t["id"] for t in response.json()["items"]])
        cursor = response.json()["next_cursor"]
        if cursor is None:
            return pages
        assert len(pages) < 50, "the cursor never ends"


@pytest.fixture
def many_tickets(report: Reporter, clock: FixedClock, database: Database) -> list[str]:
    """Eleven tickets: runs of them share one moment (the clock is fixed), so only the id
    breaks the tie; others are a second or a microsecond apart."""
    ids = []
    for step in (0, 0, 0, 1, 0, 0, 1_000_000, 0, 1, 0, 0):
        clock.advance(timedelta(microseconds=step))
        ids.append(report(category="other", description="咨询", demand="explain").id)
    return ids


@pytest.mark.parametrize("limit", [1, 2, 3, 4, 10, 11])
def test_cursor_pages_return_every_ticket_exactly_once_in_a_stable_order(
    limit: int, client: TestClient, many_tickets: list[str], seat: Seats, database: Database
) -> None:
    headers = seat("l2")
    pages = _walk(client, headers, limit)
    walked = [i for page in pages for i in page]
    assert sorted(walked) == sorted(many_tickets)
    assert all(0 < len(page) <= limit for page in pages)
    assert len(pages) == -(-len(many_tickets) // limit)

    # The order is (updated_at, id) descending, and the same on a second walk.
    rows = [ticket_row(database, i) for i in walked]
    keys = [(t.updated_at, t.id) for t in rows]
    assert keys == sorted(keys, reverse=True)
    assert [i for page in _walk(client, headers, limit) for i in page] == walked
    assert _ids(client.get("/api/v1/tickets", params={"limit": 100}, headers=headers)) == walked


def test_cursor_pages_keep_the_filter_on_every_page(
    client: TestClient, inbox: Inbox, many_tickets: list[str], seat: Seats
) -> None:
    pages = _walk(client, seat("l1"), 2, view="unassigned", category="other")
    walked = [i for page in pages for i in page]
    assert sorted(walked) == sorted([*many_tickets, inbox.e])
    assert inbox.b not in walked  # unassigned, but a refund request


def _b64(value: object) -> str:
    raw = value if isinstance(value, bytes) else json.dumps(value).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "not a cursor!",
        _b64(b"\xff\xfe\xfd"),
        _b64("just text"),
        _b64(["2026-11-22T10:00:00", "abc"]),  # no time zone
        _b64(["2026-11-22T10:00:00+08:00", 5]),
        _b64(["yesterday", "abc"]),
        _b64([1, 2]),
        _b64({"a": 1, "b": 2}),
        _b64(None),
        _b64(["2026-11-22T10:00:00+08:00", "abc", "extra"]),
        _b64(["0001-01-01T00:00:00+14:00", "abc"]),  # before year 1 in UTC
    ],
)
def test_a_malformed_cursor_is_refused_with_a_json_422(
    cursor: str, client: TestClient, seat: Seats
) -> None:
    for path in ("/api/v1/tickets", "/api/v1/inbox/conversations"):
        response = client.get(path, params={"cursor": cursor}, headers=seat("l1"))
        assert response.status_code == 422, (path, response.text)
        assert response.headers["content-type"].startswith("application/json")
        assert response.json()["error"]["code"] == "invalid_cursor"


def test_an_oversized_cursor_is_refused_before_decoding(client: TestClient, seat: Seats) -> None:
    response = client.get("/api/v1/tickets", params={"cursor": "A" * 201}, headers=seat("l1"))
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "invalid_request"


def test_conversation_inbox_pages_cover_every_conversation_once_and_filter_by_view(
    client: TestClient, many_tickets: list[str], seat: Seats, database: Database
) -> None:
    headers = seat("l1")
    conversation_ids = {ticket_row(database, t).conversation_id for t in many_tickets}
    walked: list[str] = []
    cursor = None
    while True:
        params = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        page = client.get("/api/v1/inbox/conversations", params=params, headers=headers)
        assert page.status_code == 200, page.text
        walked += [c["id"] for c in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    assert sorted(walked) == sorted(conversation_ids)

    first = next(iter(conversation_ids))
    ticket = next(t for t in many_tickets if ticket_row(database, t).conversation_id == first)
    replied = client.post(
        f"/api/v1/tickets/{ticket}/replies", json={"body": "在的"}, headers=headers
    )
    assert replied.status_code == 201, replied.text
    mine = client.get("/api/v1/inbox/conversations", params={"view": "mine"}, headers=headers)
    unassigned = client.get(
        "/api/v1/inbox/conversations", params={"view": "unassigned", "limit": 100}, headers=headers
    )
    assert [c["id"] for c in mine.json()["items"]] == [first]
    assert first not in {c["id"] for c in unassigned.json()["items"]}
    assert len(unassigned.json()["items"]) == len(conversation_ids) - 1
