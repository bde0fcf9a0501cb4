"""The CSV export: opens in Excel as UTF-8, mirrors the JSON, never carries a live formula."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient

from tests.analytics.conftest import History, Seats
from tests.conftest import NOW
from tests.factories import StaffTeam, make_staff
from yiwen.analytics.csv_export import HEADERS, safe_cell
from yiwen.core.clock import FixedClock
from yiwen.core.db import Database

PERIOD = {"from": "2026-11-20", "to": "2026-11-22"}
HOSTILE_NAMES = (
    '=HYPERLINK("http://evil.example","点我")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1)",
)


@pytest.fixture
def hostile_agents(
    history: History, database: Database, clock: FixedClock, team: StaffTeam
) -> list[str]:
    """Agents whose display names are spreadsheet formulas, each resolving one ticket."""
    ids = []
    for i, name in enumerate(HOSTILE_NAMES):
        agent = make_staff(database, clock, "agent_l1", username=f"evil{i}", display_name=name)
        ticket = history.ticket(f"2026-11-21 0{i + 1}:00")
        history.assign(ticket, f"2026-11-21 0{i + 1}:01", agent, team.supervisor)
        history.resolve(ticket, f"2026-11-21 0{i + 1}:11", agent)
        ids.append(agent.id)
    history.clock.set(NOW)
    return ids


def read_csv(
    client: TestClient, headers: dict[str, str], **params: str
) -> tuple[str, list[list[str]]]:
    response = client.get("/api/v1/kpis.csv", params={**PERIOD, **params}, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    text = response.content.decode("utf-8")
    return text, list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


def test_the_export_starts_with_a_bom_and_a_chinese_header(
    client: TestClient, seat: Seats, hostile_agents: list[str]
) -> None:
    text, rows = read_csv(client, seat("supervisor"), group_by="day")
    assert text.startswith("\ufeff分组方式,")
    assert rows[0] == list(HEADERS)
    assert rows[1][:4] == ["total", "", "合计", "4"]
    assert [row[1] for row in rows[2:]] == ["2026-11-20", "2026-11-21", "2026-11-22"]
    resolved = rows[3][HEADERS.index("解决_样本数")]
    assert resolved == "4"
    assert rows[3][HEADERS.index("解决时长中位数_秒")] == "660"


def test_formula_like_names_are_written_as_text(
    client: TestClient, seat: Seats, hostile_agents: list[str]
) -> None:
    _text, rows = read_csv(client, seat("supervisor"), group_by="agent")
    labels = {row[1]: row[2] for row in rows[2:]}
    for agent_id, name in zip(hostile_agents, HOSTILE_NAMES, strict=True):
        assert labels[agent_id] == "'" + name
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_empty_figures_are_empty_cells_not_zero(client: TestClient, seat: Seats) -> None:
    _text, rows = read_csv(client, seat("supervisor"))
    total = dict(zip(rows[0], rows[1], strict=True))
    assert total["解决_样本数"] == "0"
    assert total["解决时长中位数_秒"] == ""
    assert total["首次解决率"] == ""


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ("=1+1", "'=1+1"),
        ("\t=1", "'\t=1"),
        ("客服-小一", "客服-小一"),
        (-3, -3),
        (None, ""),
    ],
)
def test_only_text_cells_that_would_start_a_formula_are_prefixed(
    cell: object, written: object
) -> None:
    assert safe_cell(cell) == written
