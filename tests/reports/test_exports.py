"""Exports of tickets, conversations and KPIs: filtered, scoped to the viewer, safe in Excel."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import openpyxl  # type: ignore[import-untyped]
import pytest
from fastapi.testclient import TestClient

from tests.conftest import NOW
from tests.factories import StaffTeam
from tests.reports.conftest import History, Seats, audit_entries
from yiwen.analytics.kpis import compute_kpis
from yiwen.analytics.period import Period
from yiwen.auth.audit import Actor
from yiwen.conversations.service import start_conversation
from yiwen.core.clock import FixedClock
from yiwen.core.db import Database
from yiwen.customers.service import find_or_create_customer
from yiwen.reports import datasets
from yiwen.reports.kpi_table import KPI_COLUMNS, figure_cells
from yiwen.tickets import service as tickets
from yiwen.tickets.models import Ticket

PERIOD = {"from": "2026-11-20", "to": "2026-11-21"}
HOSTILE = '=HYPERLINK("http://evil.example","点我")'


@pytest.fixture
def cases(
    history: History, team: StaffTeam, database: Database, clock: FixedClock
) -> dict[str, str]:
    """Four tickets in the period (two L1's, one L2's, one nobody's) and one before it."""
    made = {
        "l1_card": history.ticket("2026-11-20 09:00", category="card_invalid", channel="web"),
        "l1_refund": history.ticket("2026-11-20 10:00", category="refund_request", channel="qq"),
        "l2_card": history.ticket("2026-11-21 11:00", category="card_invalid", channel="qq"),
        "nobody": history.ticket("2026-11-21 23:30", category="delivery_missing"),
        "before": history.ticket("2026-11-19 23:59", category="card_invalid"),
    }
    history.assign(made["l1_card"], "2026-11-20 09:05", team.l1, team.supervisor)
    history.respond(made["l1_card"], "2026-11-20 09:10", team.l1)
    history.resolve(made["l1_card"], "2026-11-20 09:40", team.l1)
    history.rate(made["l1_card"], "2026-11-20 10:00", 5)
    history.assign(made["l1_refund"], "2026-11-20 10:01", team.l1, team.supervisor)
    history.assign(made["l2_card"], "2026-11-21 11:02", team.l2, team.supervisor)
    clock.set(datetime.fromisoformat("2026-11-21T12:00:00+08:00"))
    with database.transaction() as db:
        ticket = db.get(Ticket, made["l2_card"])
        assert ticket is not None
        ticket.subject = HOSTILE
    clock.set(NOW)
    return made


def _csv(
    client: TestClient, path: str, headers: dict[str, str], **params: object
) -> list[list[str]]:
    response = client.get(
        f"/api/v1/reports/exports/{path}", params={**PERIOD, **params}, headers=headers
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["content-disposition"]
    assert response.content.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(response.content.decode("utf-8").removeprefix("\ufeff"))))


def _numbers(database: Database, ids: list[str]) -> set[str]:
    with database.reading() as db:
        return {t.number for t in db.query(Ticket).filter(Ticket.id.in_(ids))}


def test_ticket_csv_holds_the_period_only_with_local_times(
    client: TestClient, seat: Seats, cases: dict[str, str], database: Database
) -> None:
    rows = _csv(client, "tickets.csv", seat("supervisor"))
    header, body = rows[0], rows[1:]
    assert header[:3] == ["工单号", "状态", "问题类型"]
    assert {row[0] for row in body} == _numbers(
        database, [cases["l1_card"], cases["l1_refund"], cases["l2_card"], cases["nobody"]]
    )
    first = dict(zip(header, body[0], strict=True))
    assert first["创建时间"] == "2026-11-20 09:00:00"
    assert first["首次响应时长_秒"] == "600"
    assert first["解决时长_秒"] == "2400"
    assert first["满意度评分"] == "5"
    assert first["处理人"] == "客服小一"
    # 23:30 Asia/Shanghai is 15:30 UTC: still the 21st.
    assert body[-1][header.index("创建时间")] == "2026-11-21 23:30:00"


def test_filters_narrow_the_tickets(
    client: TestClient, seat: Seats, cases: dict[str, str], database: Database, team: StaffTeam
) -> None:
    headers = seat("supervisor")
    by_channel = _csv(client, "tickets.csv", headers, channel="qq")[1:]
    assert {r[0] for r in by_channel} == _numbers(database, [cases["l1_refund"], cases["l2_card"]])
    by_category = _csv(client, "tickets.csv", headers, category="card_invalid")[1:]
    assert {r[0] for r in by_category} == _numbers(database, [cases["l1_card"], cases["l2_card"]])
    by_status = _csv(client, "tickets.csv", headers, status=["resolved"])[1:]
    assert {r[0] for r in by_status} == _numbers(database, [cases["l1_card"]])
    by_agent = _csv(client, "tickets.csv", headers, agent_id=team.l1.id)[1:]
    assert {r[0] for r in by_agent} == _numbers(database, [cases["l1_card"], cases["l1_refund"]])


def test_formula_like_text_is_escaped_in_csv_and_a_string_in_xlsx(
    client: TestClient, seat: Seats, cases: dict[str, str]
) -> None:
    rows = _csv(client, "tickets.csv", seat("supervisor"))
    subjects = [row[rows[0].index("标题")] for row in rows[1:]]
    assert "'" + HOSTILE in subjects
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    response = client.get(
        "/api/v1/reports/exports/tickets.xlsx", params=PERIOD, headers=seat("supervisor")
    )
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    cells = [c for row in sheet.iter_rows(min_row=2) for c in row if c.value is not None]
    assert all(c.data_type != "f" for c in cells)
    assert "'" + HOSTILE in [c.value for c in cells]


def test_ticket_xlsx_has_a_styled_header_widths_and_real_dates(
    client: TestClient, seat: Seats, cases: dict[str, str]
) -> None:
    response = client.get(
        "/api/v1/reports/exports/tickets.xlsx", params=PERIOD, headers=seat("supervisor")
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = book["工单"]
    header = [c.value for c in sheet[1]]
    assert header[:2] == ["工单号", "状态"]
    assert sheet["A1"].font.bold
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["A"].width >= 20
    created = sheet.cell(row=2, column=header.index("创建时间") + 1)
    assert created.is_date
    assert created.value == datetime(2026, 11, 20, 9, 0)
    assert sheet.max_row == 5


def test_an_agent_exports_only_their_own_tickets(
    client: TestClient, seat: Seats, cases: dict[str, str], database: Database
) -> None:
    rows = _csv(client, "tickets.csv", seat("l1"))[1:]
    assert {r[0] for r in rows} == _numbers(database, [cases["l1_card"], cases["l1_refund"]])


def test_an_agent_asking_for_someone_elses_rows_is_refused_and_nothing_is_recorded(
    client: TestClient, seat: Seats, team: StaffTeam, database: Database
) -> None:
    response = client.get(
        "/api/v1/reports/exports/tickets.csv",
        params={**PERIOD, "agent_id": team.l2.id},
        headers=seat("l1"),
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "kpi_other_agent"
    assert audit_entries(database, "report.export") == []


@pytest.mark.parametrize(
    ("path", "params", "status", "code"),
    [
        ("tickets.csv", {"from": "2026-13-01"}, 422, "kpi_invalid_date"),
        ("tickets.csv", {"from": "2026-11-22", "to": "2026-11-01"}, 422, "kpi_range_reversed"),
        ("tickets.csv", {"from": "2025-01-01", "to": "2026-11-01"}, 422, "kpi_range_too_long"),
        ("tickets.csv", {"status": "lost"}, 422, "report_invalid_filter"),
        ("tickets.csv", {"category": "nonsense"}, 422, "report_invalid_filter"),
        ("tickets.csv", {"channel": "=cmd"}, 422, "report_invalid_filter"),
        ("tickets.csv", {"agent_id": "a\x00b"}, 422, "report_invalid_filter"),
        ("conversations.csv", {"category": "card_invalid"}, 422, "report_filter_not_supported"),
        ("conversations.xlsx", {"status": "new"}, 422, "report_invalid_filter"),
        ("kpis.csv", {"channel": "web"}, 422, "report_filter_not_supported"),
        ("kpis.xlsx", {"group_by": "weekday"}, 422, "kpi_unknown_group"),
        ("tickets.pdf", {}, 422, "invalid_request"),
    ],
)
def test_bad_filters_are_refused_with_a_json_reason(
    client: TestClient, seat: Seats, path: str, params: dict[str, str], status: int, code: str
) -> None:
    response = client.get(
        f"/api/v1/reports/exports/{path}", params=params, headers=seat("supervisor")
    )
    assert response.status_code == status, response.text
    body = response.json()["error"]
    assert body["code"] == code
    assert body["message"]


def test_exports_need_a_login(client: TestClient) -> None:
    assert client.get("/api/v1/reports/exports/tickets.csv").status_code == 401


def test_every_export_is_audited_with_who_and_what(
    client: TestClient, seat: Seats, team: StaffTeam, database: Database, cases: dict[str, str]
) -> None:
    _csv(client, "tickets.csv", seat("supervisor"), channel="qq", status=["open", "new"])
    client.get("/api/v1/reports/exports/kpis.xlsx", params=PERIOD, headers=seat("l1"))
    first, second = audit_entries(database, "report.export")
    assert (first.actor_id, first.target_id) == (team.supervisor.id, "tickets.csv")
    assert first.after == {
        "dataset": "tickets",
        "format": "csv",
        "from": "2026-11-20",
        "to": "2026-11-21",
        "channel": "qq",
        "status": ["open", "new"],
    }
    assert (second.actor_id, second.target_id) == (team.l1.id, "kpis.xlsx")
    assert second.after is not None and second.after["agent_id"] == team.l1.id


def test_batches_follow_each_other_without_gaps_or_repeats(
    client: TestClient,
    seat: Seats,
    database: Database,
    clock: FixedClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Seven tickets opened at the same instant, read two at a time: the id breaks the tie."""
    monkeypatch.setattr(datasets, "BATCH", 2)
    clock.set(datetime.fromisoformat("2026-11-20T15:00:00+08:00"))
    with database.transaction() as db:
        for i in range(7):
            customer = find_or_create_customer(db, clock, channel="web", external_id=f"v{i}")
            tickets.open_ticket(
                db,
                clock,
                tickets.NewTicket(
                    customer_id=customer.id, channel="web", category="presale", subject=f"问{i}"
                ),
                actor=Actor.customer(customer.id),
                prefix="YW",
            )
            start_conversation(db, clock, customer, channel="web")
    clock.set(NOW)
    ticket_rows = _csv(client, "tickets.csv", seat("supervisor"))[1:]
    assert sorted(row[6] for row in ticket_rows) == [f"问{i}" for i in range(7)]
    conversation_rows = _csv(client, "conversations.csv", seat("supervisor"))[1:]
    assert len({row[0] for row in conversation_rows}) == len(conversation_rows) == 7


def test_conversation_export_filters_by_status_and_channel(
    client: TestClient, seat: Seats, database: Database, clock: FixedClock
) -> None:
    clock.set(datetime.fromisoformat("2026-11-21T08:00:00+08:00"))
    with database.transaction() as db:
        for i, channel in enumerate(("web", "qq", "qq")):
            customer = find_or_create_customer(db, clock, channel=channel, external_id=f"c{i}")
            start_conversation(db, clock, customer, channel=channel)
    clock.set(NOW)
    rows = _csv(client, "conversations.csv", seat("supervisor"), channel="qq")
    assert rows[0][:3] == ["会话ID", "渠道", "状态"]
    assert [row[1] for row in rows[1:]] == ["qq", "qq"]
    statuses = {row[2] for row in rows[1:]}
    assert _csv(client, "conversations.csv", seat("supervisor"), status=sorted(statuses))[1:]
    other = "closed" if "closed" not in statuses else "open"
    assert _csv(client, "conversations.csv", seat("supervisor"), status=[other])[1:] == []


def test_kpi_xlsx_equals_the_kpi_service(
    client: TestClient, seat: Seats, database: Database, cases: dict[str, str]
) -> None:
    response = client.get(
        "/api/v1/reports/exports/kpis.xlsx",
        params={**PERIOD, "group_by": "channel"},
        headers=seat("supervisor"),
    )
    assert response.status_code == 200, response.text
    sheet = openpyxl.load_workbook(io.BytesIO(response.content))["指标"]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0] == [c.header for c in KPI_COLUMNS]
    with database.reading() as db:
        report = compute_kpis(
            db,
            period=Period(datetime(2026, 11, 20).date(), datetime(2026, 11, 21).date()),
            group_by="channel",
            agent_id=None,
            now=NOW,
        )
    assert rows[1] == ["合计", None, *figure_cells(report.totals)]
    assert rows[1][2] == 4
    by_label = {row[1]: row for row in rows[2:]}
    for group in report.groups:
        assert by_label[group.label][2:] == figure_cells(group.figures)
    assert by_label["QQ"][2] == 2
