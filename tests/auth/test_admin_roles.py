"""The roles screen's data: each role with its permissions and money caps (staff managers only)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from fastapi.testclient import TestClient

from tests.factories import StaffTeam, login_headers
from yiwen.auth.permissions import ROLES

ROLES_URL = "/api/v1/staff/roles"


def test_every_role_is_listed_with_its_permissions_and_money_caps(
    client: TestClient, team: StaffTeam, admin_headers: dict[str, str]
) -> None:
    response = client.get(ROLES_URL, headers=admin_headers)
    assert response.status_code == 200, response.text
    by_role = {r["role"]: r for r in response.json()}
    assert list(by_role) == list(ROLES)
    l1 = by_role["agent_l1"]
    assert "order.refund" in l1["permissions"] and "card_key.reveal" not in l1["permissions"]
    assert (l1["may_refund"], Decimal(l1["refund_limit"])) == (True, Decimal("50"))
    assert Decimal(l1["coupon_limit"]) == Decimal("10")
    # Finance moves any amount; tech moves none, whatever its permissions.
    assert by_role["finance"]["may_refund"] and by_role["finance"]["refund_limit"] is None
    assert not by_role["tech"]["may_refund"] and by_role["tech"]["refund_limit"] is None
    assert "staff.manage" not in by_role["supervisor"]["permissions"]
    assert by_role["agent_l1"]["staff_count"] >= 1


def test_the_counts_follow_deactivation(
    client: TestClient, team: StaffTeam, admin_headers: dict[str, str]
) -> None:
    before = {
        r["role"]: r["staff_count"] for r in client.get(ROLES_URL, headers=admin_headers).json()
    }
    off = client.patch(
        f"/api/v1/staff/{team.tech.id}", json={"is_active": False}, headers=admin_headers
    )
    assert off.status_code == 200, off.text
    after = {
        r["role"]: r["staff_count"] for r in client.get(ROLES_URL, headers=admin_headers).json()
    }
    assert after["tech"] == before["tech"] - 1
    assert after["agent_l1"] == before["agent_l1"]


@pytest.mark.parametrize("member", ["supervisor", "l1", "security"])
def test_roles_are_refused_without_staff_manage(
    client: TestClient, team: StaffTeam, member: str
) -> None:
    headers = login_headers(client, getattr(team, member).username)
    response = client.get(ROLES_URL, headers=headers)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
