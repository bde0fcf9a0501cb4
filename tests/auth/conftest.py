"""Fixtures of the auth tests (the team and the clean hashing come from the root conftest)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.factories import StaffTeam, login_headers


@pytest.fixture
def admin_headers(client: TestClient, team: StaffTeam) -> dict[str, str]:
    return login_headers(client, team.admin.username)
