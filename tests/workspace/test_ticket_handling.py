"""Working a ticket: public replies vs internal notes, the status machine, assignment and
transfer, resolution, and the timeline each step leaves behind."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from tests.factories import StaffTeam, make_staff
from tests.workspace.conftest import (
    Reported,
    Reporter,
    Seats,
    audit_entries,
    customer_messages,
    customer_view,
    events_of,
    staff_ticket,
    ticket_row,
)
from yiwen.auth.models import StaffUser
from yiwen.core.clock import FixedClock
from yiwen.core.db import Database
from yiwen.store.connectors.demo.shop import ExampleOrder

SECRET_NOTE = "内部：该客户上周已补发过一次，先核实上游再处理"


@pytest.fixture
def ticket(report: Reporter, cases: dict[str, ExampleOrder]) -> Reported:
    case = cases["push_failed"]
    return report(order_no=case.order_no, contact=case.contact)


def _ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def _error(response: Any, status: int) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    code: str = response.json()["error"]["code"]
    return code


def test_a_reply_reaches_the_customer_and_makes_the_agent_the_handler(
    client: TestClient, ticket: Reported, seat: Seats, team: StaffTeam, database: Database
) -> None:
    text = "您好，已收到，正在联系上游处理"
    message = _ok(
        client.post(
            f"/api/v1/tickets/{ticket.id}/replies", json={"body": text}, headers=seat("l1")
        ),
        201,
    )
    assert message["visibility"] == "public" and message["sender_type"] == "agent"

    seen = [m for m in customer_messages(client, ticket) if m["body"] == text]
    assert len(seen) == 1 and seen[0]["sender_name"] == team.l1.display_name
    view = customer_view(client, ticket)
    assert view["handler"] == team.l1.display_name
    assert view["stage"] == "in_progress"
    assert "客服已回复" in [e["text"] for e in view["timeline"]]

    detail = staff_ticket(client, seat("l2"), ticket.id)
    assert detail["ticket"]["assignee_id"] == team.l1.id
    assert detail["ticket"]["status"] == "open"
    assert detail["ticket"]["first_response_at"] is not None
    replies = [e for e in detail["timeline"] if e["kind"] == "reply"]
    assert [(e["visibility"], e["data"]["message_id"]) for e in replies] == [
        ("public", message["id"])
    ]
    audited = audit_entries(database, "ticket.reply", target_id=ticket.id)
    assert [(a.actor_id, a.after) for a in audited] == [
        (team.l1.id, {"message_id": message["id"], "chars": len(text)})
    ]


def test_an_internal_note_is_never_shown_to_the_customer(
    client: TestClient, ticket: Reported, seat: Seats, team: StaffTeam
) -> None:
    detail = _ok(
        client.post(
            f"/api/v1/tickets/{ticket.id}/notes", json={"body": SECRET_NOTE}, headers=seat("l1")
        ),
        201,
    )
    notes = [e for e in detail["timeline"] if e["kind"] == "note"]
    assert [(e["visibility"], e["body"], e["actor_id"]) for e in notes] == [
        ("internal", SECRET_NOTE, team.l1.id)
    ]
    thread = _ok(client.get(f"/api/v1/conversations/{ticket.conversation_id}", headers=seat("l2")))
    assert [m["visibility"] for m in thread["messages"] if m["body"] == SECRET_NOTE] == ["internal"]
    # A note is not an answer: the ticket still waits for its first response and an owner.
    assert detail["ticket"]["status"] == "new"
    assert detail["ticket"]["first_response_at"] is None
    assert detail["ticket"]["assignee_id"] is None

    # Nothing of it reaches the customer: not the thread, the ticket page, the list or preview.
    assert SECRET_NOTE not in json.dumps(customer_messages(client, ticket), ensure_ascii=False)
    view = customer_view(client, ticket)
    assert SECRET_NOTE not in json.dumps(view, ensure_ascii=False)
    assert "note" not in [e["kind"] for e in view["timeline"]]
    listed = client.get("/api/v1/customer/tickets", headers=ticket.customer)
    assert SECRET_NOTE not in listed.text
    conversation = client.get(
        f"/api/v1/customer/conversations/{ticket.conversation_id}", headers=ticket.customer
    )
    assert SECRET_NOTE not in conversation.text


def test_an_internal_message_in_the_conversation_stays_internal(
    client: TestClient, ticket: Reported, seat: Seats
) -> None:
    _ok(
        client.post(
            f"/api/v1/conversations/{ticket.conversation_id}/messages",
            json={"body": SECRET_NOTE, "visibility": "internal"},
            headers=seat("l1"),
        ),
        201,
    )
    assert SECRET_NOTE not in json.dumps(customer_messages(client, ticket), ensure_ascii=False)
    conversation = _ok(
        client.get(
            f"/api/v1/customer/conversations/{ticket.conversation_id}", headers=ticket.customer
        )
    )
    assert conversation["assignee_id"] is None  # an internal message takes nothing


def _bring_to(
    client: TestClient, ticket: Reported, status: str, seat: Seats, team: StaffTeam
) -> None:
    """Move a fresh ticket to ``status`` through the API, the way an agent would."""
    l1 = seat("l1")
    if status == "new":
        return
    _ok(
        client.post(
            f"/api/v1/tickets/{ticket.id}/assign", json={"agent_id": team.l1.id}, headers=l1
        )
    )
    if status in ("resolved", "closed"):
        _ok(
            client.post(f"/api/v1/tickets/{ticket.id}/resolve", json={"note": "已处理"}, headers=l1)
        )
    if status in ("closed", "pending_customer"):
        _ok(client.patch(f"/api/v1/tickets/{ticket.id}", json={"status": status}, headers=l1))


@pytest.mark.parametrize(
    ("start", "target", "http", "code"),
    [
        ("new", "closed", 409, "illegal_status_transition"),
        ("open", "new", 409, "illegal_status_transition"),
        ("open", "closed", 409, "illegal_status_transition"),
        ("pending_customer", "new", 409, "illegal_status_transition"),
        ("pending_customer", "closed", 409, "illegal_status_transition"),
        ("resolved", "pending_supplier", 409, "illegal_status_transition"),
        ("resolved", "new", 409, "illegal_status_transition"),
        ("closed", "pending_internal", 409, "illegal_status_transition"),
        ("closed", "new", 409, "illegal_status_transition"),
        ("new", "resolved", 422, "resolution_note_required"),
        ("open", "resolved", 422, "resolution_note_required"),
        ("open", "done", 422, "invalid_request"),
    ],
)
def test_an_illegal_status_change_is_refused_and_changes_nothing(
    start: str,
    target: str,
    http: int,
    code: str,
    client: TestClient,
    ticket: Reported,
    seat: Seats,
    team: StaffTeam,
    database: Database,
) -> None:
    _bring_to(client, ticket, start, seat, team)
    before = ticket_row(database, ticket.id)
    assert before.status == start
    events = len(events_of(database, ticket.id))
    audits = len(audit_entries(database, "ticket.status", target_id=ticket.id))

    response = client.patch(
        f"/api/v1/tickets/{ticket.id}",
        json={"status": target, "priority": "urgent", "category": "complaint"},
        headers=seat("l2"),
    )
    assert _error(response, http) == code

    after = ticket_row(database, ticket.id)
    assert (after.status, after.priority, after.category, after.updated_at) == (
        before.status,
        before.priority,
        before.category,
        before.updated_at,
    )
    assert len(events_of(database, ticket.id)) == events
    assert len(audit_entries(database, "ticket.status", target_id=ticket.id)) == audits
    assert len(audit_entries(database, "ticket.update", target_id=ticket.id)) == 0


def test_an_allowed_status_change_is_a_public_event_with_an_audit_entry(
    client: TestClient, ticket: Reported, seat: Seats, team: StaffTeam, database: Database
) -> None:
    _bring_to(client, ticket, "open", seat, team)
    detail = _ok(
        client.patch(
            f"/api/v1/tickets/{ticket.id}",
            json={"status": "pending_supplier", "priority": "low"},
            headers=seat("l1"),
        )
    )
    assert detail["ticket"]["status"] == "pending_supplier"
    assert detail["ticket"]["priority"] == "low"
    changed = [e for e in detail["timeline"] if e["kind"] == "status_changed"][-1]
    assert (changed["visibility"], changed["data"]) == (
        "public",
        {"from": "open", "to": "pending_supplier"},
    )
    fields = [e for e in detail["timeline"] if e["kind"] == "fields_changed"]
    assert [(e["visibility"], e["data"]["after"]) for e in fields] == [
        ("internal", {"priority": "low"})
    ]
    assert (
        "等待上游供应商处理" in [e["text"] for e in customer_view(client, ticket)["timeline"]][-1]
    )
    audited = audit_entries(database, "ticket.status", target_id=ticket.id)
    transitions = {(a.before["status"], a.after["status"]) for a in audited if a.before and a.after}
    assert transitions == {("new", "open"), ("open", "pending_supplier")}


@pytest.mark.parametrize(
    ("patch", "code"),
    [({"priority": "asap"}, "unknown_priority"), ({"category": "gossip"}, "unknown_category")],
)
def test_unknown_priority_or_category_is_refused(
    patch: dict[str, str], code: str, client: TestClient, ticket: Reported, seat: Seats
) -> None:
    response = client.patch(f"/api/v1/tickets/{ticket.id}", json=patch, headers=seat("l1"))
    assert _error(response, 422) == code


def test_an_agent_takes_a_ticket_but_only_a_role_with_assign_gives_one_away(
    client: TestClient, ticket: Reported, seat: Seats, team: StaffTeam, database: Database
) -> None:
    given = client.post(
        f"/api/v1/tickets/{ticket.id}/assign", json={"agent_id": team.l2.id}, headers=seat("l1")
    )
    assert _error(given, 403) == "permission_denied"
    assert ticket_row(database, ticket.id).assignee_id is None

    taken = _ok(
        client.post(
            f"/api/v1/tickets/{ticket.id}/assign", json={"agent_id": team.l1.id}, headers=seat("l1")
        )
    )
    assert taken["ticket"]["assignee_id"] == team.l1.id
    assert taken["ticket"]["status"] == "open"
    assert taken["assignee_name"] == team.l1.display_name
    assigned = [e for e in taken["timeline"] if e["kind"] == "assigned"]
    assert [(e["visibility"], e["data"]["to"]) for e in assigned] == [("public", team.l1.id)]
    assert f"已由 {team.l1.display_name} 接手处理" in [
        e["text"] for e in customer_view(client, ticket)["timeline"]
    ]

    moved = _ok(
        client.post(
            f"/api/v1/tickets/{ticket.id}/assign", json={"agent_id": team.l1.id}, headers=seat("l2")
        )
    )
    assert moved["ticket"]["assignee_id"] == team.l1.id  # the same agent again: no change
    assert len([e for e in moved["timeline"] if e["kind"] in ("assigned", "transferred")]) == 1

    back = _ok(
        client.post(
            f"/api/v1/tickets/{ticket.id}/assign", json={"agent_id": None}, headers=seat("l2")
        )
    )
    assert back["ticket"]["assignee_id"] is None
    pooled = [e for e in back["timeline"] if e["kind"] == "transferred"][-1]
    assert pooled["visibility"] == "internal" and pooled["data"]["to"] is None
    assert customer_view(client, ticket)["handler"] is None


def test_a_transfer_moves_the_ticket_and_its_conversation_with_an_internal_note(
    client: TestClient, ticket: Reported, seat: Seats, team: StaffTeam, database: Database
) -> None:
    _bring_to(client, ticket, "open", seat, team)
    note = "客户要求全额退款，超出我的权限"
    detail = _ok(
        client.post(
            f"/api/v1/tickets/{ticket.id}/transfer",
            json={"agent_id": team.l2.id, "note": note},
            headers=seat("l1"),
        )
    )
    assert detail["ticket"]["assignee_id"] == team.l2.id
    assert detail["assignee_name"] == team.l2.display_name
    moved = [e for e in detail["timeline"] if e["kind"] == "transferred"]
    assert [(e["body"], e["data"]["from"], e["data"]["to"]) for e in moved] == [
        (note, team.l1.id, team.l2.id)
    ]
    thread = _ok(client.get(f"/api/v1/conversations/{ticket.conversation_id}", headers=seat("l2")))
    assert thread["conversation"]["assignee_id"] == team.l2.id
    mine = _ok(client.get("/api/v1/tickets", params={"view": "mine"}, headers=seat("l2")))
    assert [t["id"] for t in mine["items"]] == [ticket.id]

    view = customer_view(client, ticket)
    assert view["handler"] == team.l2.display_name
    assert note not in json.dumps(view, ensure_ascii=False)  # the reason is for colleagues
    audited = audit_entries(database, "ticket.transferred", target_id=ticket.id)
    assert [(a.before, a.after) for a in audited] == [
        ({"assignee_id": team.l1.id}, {"assignee_id": team.l2.id})
    ]


@pytest.fixture
def deactivated(database: Database, clock: FixedClock) -> StaffUser:
    user = make_staff(database, clock, "agent_l2", username="gone", display_name="已离职")
    with database.transaction() as db:
        db.execute(update(StaffUser).where(StaffUser.id == user.id).values(is_active=False))
    return user


@pytest.fixture
def non_agent(database: Database, clock: FixedClock) -> StaffUser:
    """A staff account whose role (removed from the code) grants no casework at all."""
    user = make_staff(database, clock, "agent_l1", username="trainee", display_name="实习生")
    with database.transaction() as db:
        db.execute(update(StaffUser).where(StaffUser.id == user.id).values(role="trainee"))
    return user


@pytest.mark.parametrize(
    ("route", "target"),
    [
        *[("transfer", t) for t in ("unknown", "deactivated", "non_agent", "customer", "none")],
        # Assigning to nobody is allowed: it returns the ticket to the pool.
        *[("assign", t) for t in ("unknown", "deactivated", "non_agent", "customer")],
    ],
)
def test_a_ticket_cannot_go_to_someone_who_is_not_an_active_agent(
    route: str,
    target: str,
    client: TestClient,
    ticket: Reported,
    seat: Seats,
    team: StaffTeam,
    database: Database,
    deactivated: StaffUser,
    non_agent: StaffUser,
) -> None:
    _bring_to(client, ticket, "open", seat, team)
    agent_id = {
        "unknown": "0" * 32,
        "deactivated": deactivated.id,
        "non_agent": non_agent.id,
        "customer": ticket.customer_id,
        "none": None,
    }[target]
    response = client.post(
        f"/api/v1/tickets/{ticket.id}/{route}",
        json={"agent_id": agent_id, "note": "转给你"},
        headers=seat("supervisor"),
    )
    assert _error(response, 422) == "assignee_not_found"
    assert ticket_row(database, ticket.id).assignee_id == team.l1.id
    assert not audit_entries(database, "ticket.transferred", target_id=ticket.id)


def test_a_closed_ticket_cannot_be_transferred_or_replied_to(
    client: TestClient, ticket: Reported, seat: Seats, team: StaffTeam, database: Database
) -> None:
    _bring_to(client, ticket, "closed", seat, team)
    messages = len(customer_messages(client, ticket))
    transfer = client.post(
        f"/api/v1/tickets/{ticket.id}/transfer", json={"agent_id": team.l2.id}, headers=seat("l1")
    )
    assert _error(transfer, 409) == "ticket_closed"
    reply = client.post(
        f"/api/v1/tickets/{ticket.id}/replies", json={"body": "还在吗"}, headers=seat("l1")
    )
    assert _error(reply, 409) == "ticket_closed"
    assert ticket_row(database, ticket.id).assignee_id == team.l1.id
    assert len(customer_messages(client, ticket)) == messages


def test_resolving_records_the_note_and_invites_the_customer_to_rate(
    client: TestClient, ticket: Reported, seat: Seats, team: StaffTeam, database: Database
) -> None:
    _bring_to(client, ticket, "open", seat, team)
    note = "上游推送失败，已重新推送并发放卡密"
    detail = _ok(
        client.post(f"/api/v1/tickets/{ticket.id}/resolve", json={"note": note}, headers=seat("l1"))
    )
    assert detail["ticket"]["status"] == "resolved"
    assert detail["ticket"]["resolution_note"] == note
    assert detail["ticket"]["resolved_at"] is not None
    resolved = [e for e in detail["timeline"] if e["kind"] == "resolved"]
    assert [(e["visibility"], e["body"]) for e in resolved] == [("public", note)]

    view = customer_view(client, ticket)
    assert (view["stage"], view["resolution_note"], view["can_rate"]) == ("done", note, True)
    invitations = [
        m
        for m in customer_messages(client, ticket)
        if m["sender_type"] == "system" and ticket.number in m["body"]
    ]
    assert len(invitations) == 1
    audited = audit_entries(database, "ticket.resolve", target_id=ticket.id)
    assert [a.after for a in audited] == [{"status": "resolved", "note": note}]

    again = client.post(
        f"/api/v1/tickets/{ticket.id}/resolve", json={"note": "再解决一次"}, headers=seat("l1")
    )
    assert _error(again, 409) == "illegal_status_transition"
    assert ticket_row(database, ticket.id).resolution_note == note


@pytest.mark.parametrize(
    ("note", "code"), [("", "invalid_request"), ("   ", "resolution_note_required")]
)
def test_resolving_without_a_note_is_refused(
    note: str, code: str, client: TestClient, ticket: Reported, seat: Seats, database: Database
) -> None:
    response = client.post(
        f"/api/v1/tickets/{ticket.id}/resolve", json={"note": note}, headers=seat("l1")
    )
    assert _error(response, 422) == code
    row = ticket_row(database, ticket.id)
    assert (row.status, row.resolved_at, row.resolution_note) == ("new", None, None)


def test_a_resolved_ticket_reopens_to_its_handler_and_forgets_the_resolution_time(
    client: TestClient, ticket: Reported, seat: Seats, team: StaffTeam
) -> None:
    _bring_to(client, ticket, "resolved", seat, team)
    detail = _ok(
        client.post(
            f"/api/v1/tickets/{ticket.id}/reopen",
            json={"reason": "客户说还没到账"},
            headers=seat("l2"),
        )
    )
    assert detail["ticket"]["status"] == "open"
    assert detail["ticket"]["resolved_at"] is None
    assert detail["timeline"][-1]["kind"] == "reopened"
    again = client.post(f"/api/v1/tickets/{ticket.id}/reopen", json={}, headers=seat("l2"))
    assert _error(again, 409) == "reopen_not_allowed"


@pytest.mark.parametrize("start", ["resolved", "closed"])
def test_reopening_by_status_patch_is_a_real_reopen(
    start: str, client: TestClient, ticket: Reported, seat: Seats, team: StaffTeam
) -> None:
    _bring_to(client, ticket, start, seat, team)
    detail = _ok(
        client.patch(f"/api/v1/tickets/{ticket.id}", json={"status": "open"}, headers=seat("l1"))
    )
    assert detail["ticket"]["status"] == "open"
    assert detail["ticket"]["resolved_at"] is None
    assert detail["ticket"]["closed_at"] is None
    assert "reopened" in [e["kind"] for e in detail["timeline"]]
    view = customer_view(client, ticket)
    assert (view["stage"], view["can_reopen"], view["resolution_note"]) == (
        "in_progress",
        False,
        None,
    )


def test_linking_an_order_checks_the_shop_first(
    client: TestClient, ticket: Reported, seat: Seats, cases: dict[str, ExampleOrder]
) -> None:
    missing = client.post(
        f"/api/v1/tickets/{ticket.id}/orders",
        json={"order_no": "NOSUCHORDER0001"},
        headers=seat("l1"),
    )
    assert _error(missing, 404) == "order_not_found"
    other = cases["delivered_ok"].order_no
    detail = _ok(
        client.post(
            f"/api/v1/tickets/{ticket.id}/orders", json={"order_no": other}, headers=seat("l1")
        )
    )
    assert detail["order_nos"] == [cases["push_failed"].order_no, other]
    assert [e["data"] for e in detail["timeline"] if e["kind"] == "order_linked"] == [
        {"order_no": other}
    ]


def test_every_step_leaves_its_event_and_only_public_ones_reach_the_customer(
    client: TestClient, ticket: Reported, seat: Seats, team: StaffTeam
) -> None:
    l1 = seat("l1")
    _ok(
        client.post(f"/api/v1/tickets/{ticket.id}/replies", json={"body": "在处理"}, headers=l1),
        201,
    )
    _ok(
        client.post(f"/api/v1/tickets/{ticket.id}/notes", json={"body": SECRET_NOTE}, headers=l1),
        201,
    )
    _ok(
        client.post(
            f"/api/v1/tickets/{ticket.id}/transfer",
            json={"agent_id": team.l2.id, "note": "交接"},
            headers=l1,
        )
    )
    _ok(
        client.post(
            f"/api/v1/tickets/{ticket.id}/resolve", json={"note": "已补发"}, headers=seat("l2")
        )
    )

    timeline = staff_ticket(client, seat("supervisor"), ticket.id)["timeline"]
    kinds = [e["kind"] for e in timeline]
    assert kinds == [
        "created",
        "status_changed",  # new → open by the first reply
        "assigned",  # the replier took it
        "reply",
        "note",
        "transferred",
        "resolved",
        "confirm_requested",  # the SLA feature asks the customer to confirm (issue 4)
    ]
    assert [e["actor_id"] for e in timeline[3:7]] == [team.l1.id] * 3 + [team.l2.id]
    public = [e["kind"] for e in timeline if e["visibility"] == "public"]
    assert public == [k for k in kinds if k != "note"]
    assert [e["kind"] for e in customer_view(client, ticket)["timeline"]] == public
