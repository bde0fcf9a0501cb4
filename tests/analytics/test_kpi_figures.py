"""Each KPI on a small hand-built history whose right answers are worked out by hand.

The history (days are Asia/Shanghai; the report runs on 2026-11-22):

- T0 11-09 12:00 card_invalid, never touched: backlog before and through the period.
- T1 11-10 09:00 card_invalid web: l1 assigned 09:02, answers 09:05, resolves 09:35,
  rated 5. First response 300 s, resolution 2100 s, first-contact resolved.
- T2 11-10 10:00 refund_request web: l1 assigned 10:01, answers 10:20, transferred to
  l2 10:30, l2 resolves 12:00, rated 2. 1200 s / 7200 s, not FCR (transferred).
- T3 11-11 23:30 card_invalid qq: l1 11-11 23:40, answers 23:50, resolves 11-12 00:10,
  reopened 08:00, resolved again 09:30, rated 4. 1200 s / 36000 s, reopened, not FCR.
- T4 11-12 00:30 card_invalid qq (16:30 UTC on 11-11): l2 assigned 02:00, never answered;
  waits on the customer from 11-13 10:00 (after the period).
- T5 11-12 08:00 how_to_use web, resolved by the bot 08:01: 60 s / 60 s, FCR.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.analytics.conftest import History, Seats
from tests.factories import StaffTeam

PERIOD = {"from": "2026-11-10", "to": "2026-11-12"}


@pytest.fixture
def ids(history: History, team: StaffTeam) -> dict[str, str]:
    h, l1, l2, boss = history, team.l1, team.l2, team.supervisor
    t0 = h.ticket("2026-11-09 12:00")
    t1 = h.ticket("2026-11-10 09:00")
    h.assign(t1, "2026-11-10 09:02", l1, boss)
    h.respond(t1, "2026-11-10 09:05", l1)
    h.resolve(t1, "2026-11-10 09:35", l1)
    h.rate(t1, "2026-11-10 09:40", 5)
    t2 = h.ticket("2026-11-10 10:00", category="refund_request")
    h.assign(t2, "2026-11-10 10:01", l1, boss)
    h.respond(t2, "2026-11-10 10:20", l1)
    h.assign(t2, "2026-11-10 10:30", l2, l1)
    h.resolve(t2, "2026-11-10 12:00", l2)
    h.rate(t2, "2026-11-10 12:30", 2)
    t3 = h.ticket("2026-11-11 23:30", channel="qq")
    h.assign(t3, "2026-11-11 23:40", l1, boss)
    h.respond(t3, "2026-11-11 23:50", l1)
    h.resolve(t3, "2026-11-12 00:10", l1)
    h.reopen(t3, "2026-11-12 08:00")
    h.resolve(t3, "2026-11-12 09:30", l1)
    h.rate(t3, "2026-11-12 10:00", 4)
    t4 = h.ticket("2026-11-12 00:30", channel="qq")
    h.assign(t4, "2026-11-12 02:00", l2, boss)
    h.set_status(t4, "2026-11-13 10:00", "pending_customer", l2)
    t5 = h.ticket("2026-11-12 08:00", category="how_to_use")
    h.resolve(t5, "2026-11-12 08:01", None)
    # Deadlines as an SLA policy set them (30 min first response; 1 h card keys,
    # 24 h otherwise), and the queues routing chose.
    h.promise(t0, first_response_by="2026-11-09 12:30", resolution_by="2026-11-09 13:00")
    h.promise(t1, first_response_by="2026-11-10 09:30", resolution_by="2026-11-10 10:00")
    h.promise(t2, first_response_by="2026-11-10 10:30", resolution_by="2026-11-11 10:00")
    h.promise(t3, first_response_by="2026-11-12 00:00", resolution_by="2026-11-12 00:30")
    h.promise(t4, first_response_by="2026-11-12 01:00", resolution_by="2026-11-12 01:30")
    h.promise(t5, first_response_by="2026-11-12 08:30", resolution_by="2026-11-13 08:00")
    for ticket_id in (t0, t1, t3, t4, t5):
        h.promise(ticket_id, queue="tech_l1")
    h.promise(t2, queue="finance_l1")
    h.clock.set(local_now())
    return {"t0": t0, "t1": t1, "t2": t2, "t3": t3, "t4": t4, "t5": t5}


def local_now():  # type: ignore[no-untyped-def]
    from tests.conftest import NOW

    return NOW


def kpis(client: TestClient, headers: dict[str, str], **params: str) -> dict:  # type: ignore[type-arg]
    response = client.get("/api/v1/kpis", params={**PERIOD, **params}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_totals_match_the_figures_worked_out_by_hand(
    ids: dict[str, str], client: TestClient, seat: Seats
) -> None:
    report = kpis(client, seat("supervisor"))
    totals = report["totals"]
    assert report["from"] == "2026-11-10" and report["to"] == "2026-11-12"
    assert totals["tickets_created"] == 5
    # [60, 300, 1200, 1200]: median = 2nd value, p90 = ceil(3.6) = 4th value.
    assert totals["first_response_time"] == {"n": 4, "median_seconds": 300, "p90_seconds": 1200}
    # [60, 2100, 7200, 36000]
    assert totals["resolution_time"] == {"n": 4, "median_seconds": 2100, "p90_seconds": 36000}
    # Cohort created in the period and resolved at least once: T1, T2, T3, T5.
    assert totals["first_contact_resolution"] == {"n": 4, "count": 2, "rate": 0.5}
    assert totals["reopen"] == {"n": 4, "count": 1, "rate": 0.25}
    # First-response deadlines in the period: T1 T2 T3 T5 met, T4 missed (T0's was 11-09).
    assert totals["sla_first_response"] == {"n": 5, "count": 4, "rate": 0.8}
    # Resolution deadlines in the period: T1 T2 met; T3 (resolved for good after its
    # deadline) and T4 missed; T5's falls on 11-13.
    assert totals["sla_resolution"] == {"n": 4, "count": 2, "rate": 0.5}
    assert totals["csat"] == {"n": 3, "average": 3.67, "satisfied": 2, "satisfied_rate": 0.6667}
    # At the end of 11-12: T0 still new, T4 open (it waits on the customer only since 11-13).
    assert totals["backlog"] == {"n": 2, "by_status": {"new": 1, "open": 1}}


def test_days_are_asia_shanghai_days(ids: dict[str, str], client: TestClient, seat: Seats) -> None:
    report = kpis(client, seat("supervisor"), group_by="day")
    days = {g["key"]: g["figures"] for g in report["groups"]}
    assert list(days) == ["2026-11-10", "2026-11-11", "2026-11-12"]
    # T3 at 23:30 is 11-11; T4 at 00:30 on 11-12 is still 11-11 in UTC, but 11-12 here.
    assert [days[d]["tickets_created"] for d in days] == [2, 1, 2]
    assert days["2026-11-11"]["first_response_time"]["n"] == 1
    assert days["2026-11-12"]["resolution_time"] == {
        "n": 2,
        "median_seconds": 60,
        "p90_seconds": 36000,
    }
    # Backlog at the end of each day: T0; T0 + T3; T0 + T4.
    assert [days[d]["backlog"]["n"] for d in days] == [1, 2, 2]
    assert all(days[d]["backlog"]["by_status"] is None for d in days)


def test_agent_figures_credit_the_resolver_and_the_assignee(
    ids: dict[str, str], client: TestClient, seat: Seats, team: StaffTeam
) -> None:
    report = kpis(client, seat("supervisor"), group_by="agent")
    groups = {g["key"]: g for g in report["groups"]}
    l1, l2 = groups[team.l1.id]["figures"], groups[team.l2.id]["figures"]
    assert groups[team.l1.id]["label"] == "客服小一"
    assert l1["first_contact_resolution"] == {"n": 2, "count": 1, "rate": 0.5}  # T1 yes, T3 no
    assert l2["first_contact_resolution"] == {"n": 1, "count": 0, "rate": 0.0}  # T2 transferred
    bot = groups[None]["figures"]
    assert bot["first_contact_resolution"] == {"n": 1, "count": 1, "rate": 1.0}  # T5
    assert l1["csat"]["n"] == 2 and l1["csat"]["average"] == 4.5
    assert l2["csat"] == {"n": 1, "average": 2.0, "satisfied": 0, "satisfied_rate": 0.0}
    assert l1["tickets_created"] == 2 and l2["tickets_created"] == 2  # assignees now
    assert l2["backlog"]["n"] == 1 and groups[None]["figures"]["backlog"]["n"] == 1


def test_category_channel_and_queue_groups(
    ids: dict[str, str], client: TestClient, seat: Seats
) -> None:
    by_category = {
        g["key"]: g for g in kpis(client, seat("supervisor"), group_by="category")["groups"]
    }
    assert by_category["card_invalid"]["label"] == "卡密无效/已被使用"
    assert by_category["card_invalid"]["figures"]["tickets_created"] == 3
    assert by_category["refund_request"]["figures"]["sla_resolution"]["rate"] == 1.0
    by_channel = {
        g["key"]: g["figures"]
        for g in kpis(client, seat("supervisor"), group_by="channel")["groups"]
    }
    assert by_channel["qq"]["tickets_created"] == 2
    assert by_channel["qq"]["sla_first_response"] == {"n": 2, "count": 1, "rate": 0.5}
    by_queue = {
        g["key"]: g["figures"] for g in kpis(client, seat("supervisor"), group_by="queue")["groups"]
    }
    assert set(by_queue) == {"tech_l1", "finance_l1"}
    assert by_queue["finance_l1"]["resolution_time"]["median_seconds"] == 7200


def test_an_empty_period_has_counts_of_zero_and_no_rates(
    ids: dict[str, str], client: TestClient, seat: Seats
) -> None:
    report = kpis(client, seat("supervisor"), **{"from": "2026-10-01", "to": "2026-10-03"})
    totals = report["totals"]
    assert totals["tickets_created"] == 0
    assert totals["first_response_time"] == {"n": 0, "median_seconds": None, "p90_seconds": None}
    for name in ("first_contact_resolution", "reopen", "sla_first_response", "sla_resolution"):
        assert totals[name] == {"n": 0, "count": 0, "rate": None}
    assert totals["csat"]["average"] is None and totals["csat"]["satisfied_rate"] is None
    assert totals["bot_containment"]["rate"] is None
    assert totals["backlog"] == {"n": 0, "by_status": {}}
    day = kpis(
        client, seat("supervisor"), **{"from": "2026-10-01", "to": "2026-10-03"}, group_by="day"
    )
    assert len(day["groups"]) == 3
    assert all(g["figures"]["resolution_time"]["n"] == 0 for g in day["groups"])


def test_a_deadline_still_ahead_is_neither_met_nor_missed(
    ids: dict[str, str], client: TestClient, seat: Seats, history: History
) -> None:
    open_one = history.ticket("2026-11-22 09:50")
    history.promise(
        open_one, first_response_by="2026-11-22 10:20", resolution_by="2026-11-22 10:50"
    )
    history.clock.set(local_now())
    report = kpis(client, seat("supervisor"), **{"from": "2026-11-22", "to": "2026-11-22"})
    assert report["totals"]["sla_first_response"]["n"] == 0
    assert report["totals"]["sla_resolution"]["n"] == 0
    # A period that has not ended shows today's statuses: T0 and the new one, and T4
    # waiting on the customer since 11-13.
    assert report["totals"]["backlog"] == {"n": 3, "by_status": {"new": 2, "pending_customer": 1}}


def test_a_long_period_gives_the_same_figures_through_its_table_scans(
    ids: dict[str, str], client: TestClient, seat: Seats
) -> None:
    """From two months on, SQLite is told to read the table instead of the indexes."""
    totals = kpis(client, seat("supervisor"), **{"from": "2026-09-01", "to": "2026-11-12"})[
        "totals"
    ]
    assert totals["tickets_created"] == 6  # T0 too
    assert totals["first_response_time"] == {"n": 4, "median_seconds": 300, "p90_seconds": 1200}
    assert totals["resolution_time"] == {"n": 4, "median_seconds": 2100, "p90_seconds": 36000}
    assert totals["sla_first_response"] == {"n": 6, "count": 4, "rate": 0.6667}
    assert totals["backlog"] == {"n": 2, "by_status": {"new": 1, "open": 1}}
