"""The caller's own money limits, so the console hides what the services would refuse."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.factories import StaffTeam, login_headers

LIMITS = "/api/v1/auth/me/limits"


@pytest.mark.parametrize(
    ("username", "refund", "coupon"),
    [
        ("l1", "50", "10"),
        ("l2", "500", "50"),
        ("finance", None, None),
        ("security", "0", "0"),  # no authority at all: not in the limits
    ],
)
def test_each_role_reads_the_limits_its_services_enforce(
    username: str,
    refund: str | None,
    coupon: str | None,
    client: TestClient,
    team: StaffTeam,
) -> None:
    response = client.get(LIMITS, headers=login_headers(client, username))
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["refund"] is None) == (refund is None)
    assert (body["coupon"] is None) == (coupon is None)
    if refund is not None:
        assert float(body["refund"]) == float(refund)
    if coupon is not None:
        assert float(body["coupon"]) == float(coupon)


def test_the_limits_need_a_login(client: TestClient) -> None:
    response = client.get(LIMITS)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_logged_in"
