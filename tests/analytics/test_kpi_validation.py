"""Bad periods and groupings are refused with a 4xx JSON error in Chinese, never a 500."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.analytics.conftest import Seats


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"from": "2026-13-01", "to": "2026-12-01"}, "kpi_invalid_date"),
        ({"from": "2026/11/01", "to": "2026-11-02"}, "kpi_invalid_date"),
        ({"from": "2026-W47-1", "to": "2026-11-30"}, "kpi_invalid_date"),
        ({"from": "20261101", "to": "2026-11-30"}, "kpi_invalid_date"),
        ({"from": "0001-01-01", "to": "0001-01-02"}, "kpi_invalid_date"),
        ({"from": "2026-11-01", "to": "9999-12-31"}, "kpi_invalid_date"),
        ({"from": "2026-11-02", "to": "2026-11-01"}, "kpi_range_reversed"),
        ({"from": "2025-01-01", "to": "2026-01-02"}, "kpi_range_too_long"),
        ({"from": "2026-11-01", "to": "2026-11-02", "group_by": "week"}, "kpi_unknown_group"),
        ({"from": "2026-11-01", "to": "2026-11-02", "group_by": "Day"}, "kpi_unknown_group"),
    ],
)
def test_bad_periods_and_groupings_are_refused(
    client: TestClient, seat: Seats, params: dict[str, str], code: str
) -> None:
    for path in ("/api/v1/kpis", "/api/v1/kpis.csv"):
        response = client.get(path, params=params, headers=seat("supervisor"))
        assert response.status_code == 422, response.text
        error = response.json()["error"]
        assert error["code"] == code
        assert error["message"] and error["message"] != code


def test_a_year_with_a_leap_day_is_allowed(client: TestClient, seat: Seats) -> None:
    params = {"from": "2028-01-01", "to": "2028-12-31", "group_by": "day"}
    response = client.get("/api/v1/kpis", params=params, headers=seat("supervisor"))
    assert response.status_code == 200
    assert len(response.json()["groups"]) == 366


def test_without_a_period_the_last_seven_days_are_reported(client: TestClient, seat: Seats) -> None:
    body = client.get("/api/v1/kpis", headers=seat("supervisor")).json()
    assert (body["from"], body["to"]) == ("2026-11-16", "2026-11-22")
    assert body["timezone"] == "Asia/Shanghai"
