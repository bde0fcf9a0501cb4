"""The SLA admin API: policies and calendars for admins and supervisors, validated with
4xx JSON, audited, and refused to everyone else with nothing changed."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.factories import StaffTeam, login_headers

from yiwen.auth.audit import AuditEntry
from yiwen.core.db import Database
from yiwen.sla.models import SlaCalendar, SlaPolicy

BASE = "/api/v1/admin/sla"
ALWAYS = "slacal0000000000000000000000247"


def policy(**overrides: object) -> dict[str, Any]:
    return {
        "name": "游戏点卡 VIP",
        "category": "delivery_missing",
        "priority": "*",
        "customer_tier": "vip",
        "first_response_minutes": 5,
        "resolution_minutes": 30,
        "calendar_id": ALWAYS,
        "compensation_coupon": "8.00",
    } | overrides


def snapshot(database: Database) -> tuple[int, int, int]:
    with database.reading() as db:
        return (
            int(db.scalar(select(func.count()).select_from(SlaPolicy)) or 0),
            int(db.scalar(select(func.count()).select_from(SlaCalendar)) or 0),
            int(
                db.scalar(
                    select(func.count())
                    .select_from(AuditEntry)
                    .where(AuditEntry.action.like("sla.%"))
                )
                or 0
            ),
        )


@pytest.fixture
def admin(client: TestClient, team: StaffTeam) -> dict[str, str]:
    return login_headers(client, team.admin.username)


def test_the_seeded_defaults_are_listed(client: TestClient, admin: dict[str, str]) -> None:
    response = client.get(f"{BASE}/policies", headers=admin)
    assert response.status_code == 200
    by_scope = {
        (p["category"], p["priority"], p["customer_tier"]): p for p in response.json()["items"]
    }
    assert by_scope[("*", "*", "*")]["first_response_minutes"] == 30
    assert by_scope[("*", "urgent", "*")]["first_response_minutes"] == 10
    assert by_scope[("card_invalid", "*", "*")]["resolution_minutes"] == 60
    assert by_scope[("refund_request", "*", "*")]["resolution_minutes"] == 1440


def test_a_supervisor_creates_a_policy_that_new_tickets_follow(
    client: TestClient, team: StaffTeam, database: Database
) -> None:
    supervisor = login_headers(client, team.supervisor.username)
    response = client.post(f"{BASE}/policies", json=policy(), headers=supervisor)
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["compensation_coupon"] == "8.00"
    with database.reading() as db:
        entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "sla.policy.create"))
        assert entry is not None and entry.actor_id == team.supervisor.id
        assert entry.target_id == created["id"]


def test_a_working_hours_calendar_is_created_and_edited(
    client: TestClient, admin: dict[str, str]
) -> None:
    body = {"name": "白班", "kind": "working_hours", "opens_at": "08:30", "closes_at": "18:00"}
    created = client.post(f"{BASE}/calendars", json=body, headers=admin)
    assert created.status_code == 201, created.text
    calendar_id = created.json()["id"]
    changed = client.put(
        f"{BASE}/calendars/{calendar_id}", json=body | {"closes_at": "20:00"}, headers=admin
    )
    assert changed.status_code == 200
    assert changed.json()["closes_at"] == "20:00"
    assert changed.json()["workdays"] == "cn_statutory"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (policy(category="no_such"), 422, "unknown_category"),
        (policy(priority="asap"), 422, "unknown_priority"),
        (policy(customer_tier="gold"), 422, "invalid_request"),
        (policy(first_response_minutes=0), 422, "invalid_request"),
        (policy(calendar_id="missing"), 404, "sla_calendar_not_found"),
        (policy(compensation_coupon="-1"), 422, "invalid_request"),
        (
            policy(first_response_minutes=None, resolution_minutes=None, compensation_coupon=None),
            422,
            "sla_policy_empty",
        ),
        (policy(category="card_invalid", customer_tier="*"), 409, "sla_policy_scope_taken"),
        (
            policy(category="*", customer_tier="*", name="x", next_response_minutes=60),
            409,
            "sla_policy_scope_taken",
        ),
        (policy(unknown_field=1), 422, "invalid_request"),
    ],
)
def test_invalid_policies_are_refused_with_nothing_written(
    client: TestClient,
    admin: dict[str, str],
    database: Database,
    body: dict[str, Any],
    status: int,
    code: str,
) -> None:
    before = snapshot(database)
    response = client.post(f"{BASE}/policies", json=body, headers=admin)
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["message"]
    assert snapshot(database) == before


def test_the_catch_all_policy_must_keep_every_target(
    client: TestClient, admin: dict[str, str], database: Database
) -> None:
    before = snapshot(database)
    body = policy(
        name="默认",
        category="*",
        customer_tier="*",
        first_response_minutes=30,
        next_response_minutes=None,
        resolution_minutes=1440,
        compensation_coupon=None,
    )
    response = client.put(
        f"{BASE}/policies/slapol0000000000000000000default", json=body, headers=admin
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "sla_catch_all_needs_targets"
    assert snapshot(database) == before


@pytest.mark.parametrize(
    "body",
    [
        {"name": "夜班", "kind": "working_hours", "opens_at": "21:00", "closes_at": "09:00"},
        {"name": "夜班", "kind": "working_hours", "opens_at": "25:00", "closes_at": "26:00"},
        {"name": "夜班", "kind": "working_hours", "timezone": "Mars/Olympus"},
        {"name": "7×24", "kind": "24x7"},
    ],
)
def test_invalid_calendars_are_refused_with_nothing_written(
    client: TestClient, admin: dict[str, str], database: Database, body: dict[str, Any]
) -> None:
    before = snapshot(database)
    response = client.post(f"{BASE}/calendars", json=body, headers=admin)
    assert 400 <= response.status_code < 500, response.text
    assert "code" in response.json()["error"]
    assert snapshot(database) == before


@pytest.mark.parametrize("username", ["l1", "l2", "finance", "security"])
def test_staff_without_sla_manage_are_refused_and_nothing_changes(
    client: TestClient, team: StaffTeam, database: Database, username: str
) -> None:
    headers = login_headers(client, username)
    before = snapshot(database)
    attempts = [
        client.get(f"{BASE}/policies", headers=headers),
        client.post(f"{BASE}/policies", json=policy(), headers=headers),
        client.put(
            f"{BASE}/policies/slapol0000000000000000000default",
            json=policy(category="*", customer_tier="*", next_response_minutes=5),
            headers=headers,
        ),
        client.delete(f"{BASE}/policies/slapol0000000000000000000default", headers=headers),
        client.post(f"{BASE}/calendars", json={"name": "x", "kind": "24x7"}, headers=headers),
    ]
    assert [r.status_code for r in attempts] == [403] * len(attempts)
    assert snapshot(database) == before


def test_anonymous_callers_are_refused(client: TestClient, database: Database) -> None:
    before = snapshot(database)
    assert client.post(f"{BASE}/policies", json=policy()).status_code == 401
    assert snapshot(database) == before


def test_deleting_a_policy_is_audited(
    client: TestClient, admin: dict[str, str], database: Database
) -> None:
    response = client.delete(f"{BASE}/policies/slapol00000000000000000000000vip", headers=admin)
    assert response.status_code == 204
    with database.reading() as db:
        assert db.get(SlaPolicy, "slapol00000000000000000000000vip") is None
        entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "sla.policy.delete"))
        assert entry is not None and entry.before is not None
    assert client.delete(f"{BASE}/policies/nope", headers=admin).status_code == 404
