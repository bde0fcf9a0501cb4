"""The three rules of first-contact resolution, one ticket each."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.analytics.conftest import History, Seats
from tests.conftest import NOW
from tests.factories import StaffTeam

PERIOD = {"from": "2026-11-21", "to": "2026-11-21", "group_by": "agent"}


def test_first_contact_needs_the_first_handler_no_transfer_and_no_reopen(
    history: History, team: StaffTeam, client: TestClient, seat: Seats
) -> None:
    h, l1, l2, boss = history, team.l1, team.l2, team.supervisor
    # Taken straight from the pool and resolved by the same agent: first contact.
    direct = h.ticket("2026-11-21 09:00")
    h.resolve(direct, "2026-11-21 09:10", l2)
    # Assigned to l1 but resolved by the supervisor, without a transfer: not first contact.
    overruled = h.ticket("2026-11-21 10:00")
    h.assign(overruled, "2026-11-21 10:01", l1, boss)
    h.resolve(overruled, "2026-11-21 10:30", boss)
    # Handed back to the pool and then resolved by the same agent: a transfer, not FCR.
    bounced = h.ticket("2026-11-21 11:00")
    h.assign(bounced, "2026-11-21 11:01", l2, boss)
    h.assign(bounced, "2026-11-21 11:05", None, l2)
    h.assign(bounced, "2026-11-21 11:06", l2, boss)
    h.resolve(bounced, "2026-11-21 11:30", l2)
    # Reopened, not yet resolved again: in the cohort, reopened, not FCR.
    reopened = h.ticket("2026-11-21 12:00")
    h.assign(reopened, "2026-11-21 12:01", l1, boss)
    h.resolve(reopened, "2026-11-21 12:20", l1)
    h.reopen(reopened, "2026-11-21 13:00")
    # Never resolved: outside the cohort.
    h.ticket("2026-11-21 14:00")
    h.clock.set(NOW)

    body = client.get("/api/v1/kpis", params=PERIOD, headers=seat("supervisor")).json()
    assert body["totals"]["first_contact_resolution"] == {"n": 4, "count": 1, "rate": 0.25}
    assert body["totals"]["reopen"] == {"n": 4, "count": 1, "rate": 0.25}
    agents = {g["key"]: g["figures"]["first_contact_resolution"] for g in body["groups"]}
    assert agents[l2.id] == {"n": 2, "count": 1, "rate": 0.5}
    assert agents[boss.id] == {"n": 1, "count": 0, "rate": 0.0}
    assert agents[l1.id] == {"n": 1, "count": 0, "rate": 0.0}
