"""What the admin screens show about SLAs: each category's promise as new tickets get it,
and a calendar's open days with the statutory holidays and make-up workdays."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from tests.factories import StaffTeam, login_headers

from yiwen.tickets.taxonomy import CATEGORIES

BASE = "/api/v1/admin/sla"
ALWAYS = "slacal0000000000000000000000247"


@pytest.fixture
def admin(client: TestClient, team: StaffTeam) -> dict[str, str]:
    return login_headers(client, team.admin.username)


def test_each_category_shows_the_promise_of_its_policies(
    client: TestClient, admin: dict[str, str]
) -> None:
    response = client.get(f"{BASE}/categories", headers=admin)
    assert response.status_code == 200, response.text
    by_category = {row["category"]: row for row in response.json()}
    assert list(by_category) == list(CATEGORIES)
    card = by_category["card_invalid"]
    assert (card["priority"], card["resolution_minutes"]) == ("high", 60)
    assert card["policy_name"] and card["calendar_id"]
    # A category without its own policy inherits the catch-all's 24 h.
    assert by_category["presale"]["resolution_minutes"] == 1440
    assert by_category["presale"]["first_response_minutes"] == 30


def test_a_new_category_policy_changes_what_the_category_shows(
    client: TestClient, admin: dict[str, str]
) -> None:
    body = {
        "name": "售前 2 小时",
        "category": "presale",
        "resolution_minutes": 120,
        "calendar_id": ALWAYS,
    }
    created = client.post(f"{BASE}/policies", json=body, headers=admin)
    assert created.status_code == 201, created.text
    rows = {r["category"]: r for r in client.get(f"{BASE}/categories", headers=admin).json()}
    assert rows["presale"]["policy_id"] == created.json()["id"]
    assert rows["presale"]["resolution_minutes"] == 120
    assert rows["presale"]["first_response_minutes"] == 30


def test_a_statutory_calendar_preview_shows_holidays_and_makeup_days(
    client: TestClient, admin: dict[str, str]
) -> None:
    body = {"name": "白班", "kind": "working_hours", "opens_at": "09:00", "closes_at": "18:00"}
    calendar_id = client.post(f"{BASE}/calendars", json=body, headers=admin).json()["id"]
    response = client.get(
        f"{BASE}/calendars/{calendar_id}/days",
        params={"start": "2026-09-30", "days": 11},
        headers=admin,
    )
    assert response.status_code == 200, response.text
    days = {d["day"]: d for d in response.json()}
    assert days["2026-09-30"]["open"] and days["2026-09-30"]["opens_at"] == "09:00"
    assert days["2026-10-01"] == {
        "day": "2026-10-01",
        "open": False,
        "opens_at": None,
        "closes_at": None,
        "reason": "holiday",
        "holiday": "National Day",
    }
    # 2026-10-10 is a Saturday worked in exchange for the National Day break (调休).
    assert days["2026-10-10"]["open"] and days["2026-10-10"]["reason"] == "makeup_workday"
    assert not days["2026-10-04"]["open"]


def test_an_always_open_calendar_opens_every_day(client: TestClient, admin: dict[str, str]) -> None:
    response = client.get(
        f"{BASE}/calendars/{ALWAYS}/days", params={"start": "2026-10-01", "days": 3}, headers=admin
    )
    assert [d["open"] for d in response.json()] == [True, True, True]


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"days": 0}, 422, "invalid_request"),
        ({"days": 63}, 422, "invalid_request"),
        ({"start": "2026-13-01"}, 422, "invalid_request"),
    ],
)
def test_a_bad_preview_range_is_refused(
    client: TestClient, admin: dict[str, str], params: dict[str, object], status: int, code: str
) -> None:
    response = client.get(f"{BASE}/calendars/{ALWAYS}/days", params=params, headers=admin)
    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["message"]


def test_a_missing_calendar_preview_is_not_found(client: TestClient, admin: dict[str, str]) -> None:
    response = client.get(f"{BASE}/calendars/nosuch/days", headers=admin)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "sla_calendar_not_found"


@pytest.mark.parametrize("path", ["categories", f"calendars/{ALWAYS}/days"])
def test_agents_cannot_read_the_sla_admin_views(
    client: TestClient, team: StaffTeam, path: str
) -> None:
    headers = login_headers(client, team.l2.username)
    response = client.get(f"{BASE}/{path}", headers=headers)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
