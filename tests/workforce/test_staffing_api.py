"""The staffing plan and the shifts over HTTP: forecast, Erlang C need, scheduled staff, gaps."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from pyworkforce.queuing import ErlangC
from sqlalchemy import select

from tests.conftest import NOW
from tests.factories import StaffTeam, login_headers
from yiwen.auth.audit import AuditEntry
from yiwen.conversations.models import Conversation
from yiwen.core.clock import FixedClock, as_utc
from yiwen.core.db import Database
from yiwen.customers.service import find_or_create_customer
from yiwen.workforce.models import Shift
from yiwen.workforce.synthetic import generate_history

Headers = dict[str, str]


@pytest.fixture
def supervisor(client: TestClient, team: StaffTeam) -> Headers:
    return login_headers(client, team.supervisor.username)


@pytest.fixture
def history(database: Database, clock: FixedClock) -> None:
    """Three weeks of conversations per hour up to now, around 4 an hour, 200 customers."""
    local_start = NOW - timedelta(weeks=3)  # the pattern's hours are Asia/Shanghai hours
    generated = generate_history(weeks=3, level=4, seed=9, start=local_start.replace(tzinfo=None))
    start = as_utc(local_start)
    with database.transaction() as db:
        customers = [
            find_or_create_customer(db, clock, channel="web", external_id=f"v{i}").id
            for i in range(201)
        ]
        made = 0
        for hour, n in enumerate(generated.counts):
            for k in range(int(n)):
                at = start + timedelta(hours=hour, minutes=k % 60)
                db.add(
                    Conversation(
                        customer_id=customers[made % len(customers)],
                        channel="web",
                        status="closed",
                        last_message_at=at,
                        created_at=at,
                        updated_at=at,
                    )
                )
                made += 1


def _shift(agent_id: str, start_hour: int, hours: float) -> dict[str, str]:
    begin = NOW + timedelta(hours=start_hour)
    return {
        "agent_id": agent_id,
        "starts_at": begin.isoformat(),
        "ends_at": (begin + timedelta(hours=hours)).isoformat(),
        "note": "早班",
    }


@pytest.mark.usefixtures("history")
def test_plan_forecasts_needs_and_counts_scheduled_staff(
    client: TestClient, supervisor: Headers, team: StaffTeam
) -> None:
    for agent, begin, hours in ((team.l1, 0, 8), (team.l2, 0, 1.5)):
        created = client.post(
            "/api/v1/workforce/shifts", json=_shift(agent.id, begin, hours), headers=supervisor
        )
        assert created.status_code == 201, created.text
    response = client.get("/api/v1/workforce/plan?days=14", headers=supervisor)
    assert response.status_code == 200, response.text
    plan = response.json()
    hours = plan["hours"]
    assert len(hours) == 14 * 24
    assert hours[0]["start"].startswith("2026-11-22T02:00:00")  # 10:00 Shanghai
    inputs = plan["inputs"]
    assert inputs["model"] == "daily_weekly"
    assert inputs["target_seconds"] == 1800  # the default SLA policy's 30 minutes
    # 201 customers wrote in the last 30 days: ceil(201 / 200) = 2 by the rule of thumb.
    assert inputs["active_users"] == 201
    assert {h["rule_of_thumb"] for h in hours} == {2}
    # l1 works 8 hours, l2 the first hour and a half.
    assert [h["scheduled"] for h in hours[:9]] == [2.0, 1.5, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.0]
    assert sum(h["forecast"] for h in hours) > 0
    # Each hour's need is the reference Erlang C, within one agent.
    for hour in hours:
        if hour["for_agents"] <= 0:
            assert hour["needed"] == 0
            continue
        reference = ErlangC(
            transactions=hour["for_agents"],
            aht=inputs["handle_seconds"] / 60,
            asa=inputs["target_seconds"] / 60,
            interval=60,
        ).required_positions(service_level=inputs["service_level"])["raw_positions"]
        assert abs(hour["needed"] - math.ceil(reference / inputs["concurrency"])) <= 1
        assert hour["needed_patient"] <= hour["needed"]
        assert hour["gap"] == (hour["scheduled"] < hour["needed"])
    assert plan["gap_hours"] == sum(h["gap"] for h in hours) > 0
    evening = [h for h in hours[:24] if h["start"][11:13] in ("11", "12")]  # 19-20 h local
    night = [h for h in hours[:24] if h["start"][11:13] in ("19", "20")]  # 3-4 h local
    assert min(h["forecast"] for h in evening) > max(h["forecast"] for h in night)


def test_a_supervisors_what_if_replaces_the_measured_inputs(
    client: TestClient, supervisor: Headers
) -> None:
    response = client.get(
        "/api/v1/workforce/plan?days=1&service_level=0.95&target_seconds=20&handle_seconds=300",
        headers=supervisor,
    )
    assert response.status_code == 200
    inputs = response.json()["inputs"]
    assert (inputs["service_level"], inputs["target_seconds"], inputs["handle_seconds"]) == (
        0.95,
        20,
        300,
    )
    # No history at all: nothing forecast, nobody needed.
    assert {h["needed"] for h in response.json()["hours"]} == {0}
    bad = client.get("/api/v1/workforce/plan?days=40", headers=supervisor)
    assert bad.status_code == 422
    assert bad.json()["error"]["code"] == "invalid_request"


def test_agents_without_kpi_read_cannot_see_the_plan(client: TestClient, team: StaffTeam) -> None:
    agent = login_headers(client, team.l1.username)
    assert client.get("/api/v1/workforce/plan", headers=agent).status_code == 403
    assert client.get("/api/v1/workforce/plan").status_code == 401


def test_shift_crud_is_audited(
    client: TestClient, supervisor: Headers, team: StaffTeam, database: Database
) -> None:
    created = client.post(
        "/api/v1/workforce/shifts", json=_shift(team.l1.id, 24, 8), headers=supervisor
    ).json()
    assert created["agent_name"] == team.l1.display_name
    moved = client.put(
        f"/api/v1/workforce/shifts/{created['id']}",
        json=_shift(team.l1.id, 26, 8),
        headers=supervisor,
    )
    assert moved.status_code == 200
    assert moved.json()["starts_at"].startswith("2026-11-23T04:00:00")
    listed = client.get("/api/v1/workforce/shifts", headers=supervisor).json()["items"]
    assert [s["id"] for s in listed] == [created["id"]]
    deleted = client.delete(f"/api/v1/workforce/shifts/{created['id']}", headers=supervisor)
    assert deleted.status_code == 204
    with database.reading() as db:
        actions = db.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.target_id == created["id"])
            .order_by(AuditEntry.at, AuditEntry.action)
        ).all()
        assert sorted(actions) == sorted(
            ["workforce.shift.create", "workforce.shift.update", "workforce.shift.delete"]
        )
        assert db.scalar(select(Shift).where(Shift.id == created["id"])) is None


def test_overlapping_reversed_and_unknown_shifts_are_refused_and_nothing_is_written(
    client: TestClient, supervisor: Headers, team: StaffTeam, database: Database
) -> None:
    first = client.post(
        "/api/v1/workforce/shifts", json=_shift(team.l2.id, 0, 8), headers=supervisor
    )
    assert first.status_code == 201
    cases = [
        (_shift(team.l2.id, 4, 8), "workforce_shift_overlap"),
        ({**_shift(team.l2.id, 20, 2), "ends_at": NOW.isoformat()}, "workforce_shift_reversed"),
        (_shift(team.l2.id, 20, 17), "workforce_shift_too_long"),
        (_shift("nobody", 20, 2), "workforce_shift_agent_unknown"),
        (_shift(team.l2.id, 24 * 400, 2), "workforce_shift_too_far"),
    ]
    for body, code in cases:
        response = client.post("/api/v1/workforce/shifts", json=body, headers=supervisor)
        assert response.status_code == 422, response.text
        assert response.json()["error"]["code"] == code
    assert (
        "已有班次"
        in client.post(
            "/api/v1/workforce/shifts", json=_shift(team.l2.id, 4, 8), headers=supervisor
        ).json()["error"]["message"]
    )
    naive = {**_shift(team.l2.id, 30, 2), "starts_at": "2026-11-23T09:00:00"}
    assert (
        client.post("/api/v1/workforce/shifts", json=naive, headers=supervisor).status_code == 422
    )
    with database.reading() as db:
        assert len(db.scalars(select(Shift)).all()) == 1


def test_agents_cannot_schedule_shifts(
    client: TestClient, team: StaffTeam, database: Database
) -> None:
    agent = login_headers(client, team.l1.username)
    refused = client.post("/api/v1/workforce/shifts", json=_shift(team.l1.id, 0, 8), headers=agent)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "permission_denied"
    with database.reading() as db:
        assert db.scalars(select(Shift)).all() == []
