"""Who may read which figures: supervisors and admins everyone's, agents only their own."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.analytics.conftest import History, Seats
from tests.conftest import NOW
from tests.factories import StaffTeam

PERIOD = {"from": "2026-11-20", "to": "2026-11-22"}


@pytest.fixture
def worked(history: History, team: StaffTeam) -> None:
    """l1 resolved one ticket, l2 two, on 11-21."""
    for agent, count in ((team.l1, 1), (team.l2, 2)):
        for i in range(count):
            ticket = history.ticket(f"2026-11-21 0{i + 1}:00")
            history.assign(ticket, f"2026-11-21 0{i + 1}:05", agent, team.supervisor)
            history.resolve(ticket, f"2026-11-21 0{i + 1}:30", agent)
    history.clock.set(NOW)


def test_reading_kpis_needs_a_login(client: TestClient, worked: None) -> None:
    response = client.get("/api/v1/kpis", params=PERIOD)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_logged_in"
    assert client.get("/api/v1/kpis.csv", params=PERIOD).status_code == 401


@pytest.mark.parametrize("username", ["supervisor", "admin"])
def test_supervisors_and_admins_read_everyones_figures(
    client: TestClient, seat: Seats, worked: None, username: str
) -> None:
    response = client.get("/api/v1/kpis", params=PERIOD, headers=seat(username))
    assert response.status_code == 200
    body = response.json()
    assert body["agent_id"] is None
    assert body["totals"]["resolution_time"]["n"] == 3


def test_an_agent_reads_only_their_own_figures(
    client: TestClient, seat: Seats, team: StaffTeam, worked: None
) -> None:
    body = client.get(
        "/api/v1/kpis", params={**PERIOD, "group_by": "agent"}, headers=seat("l1")
    ).json()
    assert body["agent_id"] == team.l1.id
    assert body["totals"]["resolution_time"]["n"] == 1
    assert [g["key"] for g in body["groups"]] == [team.l1.id]


def test_an_agent_asking_for_a_colleagues_figures_is_refused(
    client: TestClient, seat: Seats, team: StaffTeam, worked: None
) -> None:
    for path in ("/api/v1/kpis", "/api/v1/kpis.csv"):
        response = client.get(path, params={**PERIOD, "agent_id": team.l2.id}, headers=seat("l1"))
        assert response.status_code == 403
        assert response.json()["error"] == {
            "code": "kpi_other_agent",
            "message": "您只能查看自己的指标",
        }


def test_a_supervisor_may_look_at_one_agent(
    client: TestClient, seat: Seats, team: StaffTeam, worked: None
) -> None:
    body = client.get(
        "/api/v1/kpis", params={**PERIOD, "agent_id": team.l2.id}, headers=seat("supervisor")
    ).json()
    assert body["agent_id"] == team.l2.id
    assert body["totals"]["resolution_time"]["n"] == 2
    assert body["totals"]["bot_containment"]["n"] == 0
