"""Test-data factories shared by every feature's tests."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi.testclient import TestClient

from yiwen.auth.models import StaffUser
from yiwen.auth.service import create_staff
from yiwen.core.clock import Clock
from yiwen.core.db import Database
from yiwen.http.deps import SESSION_COOKIE

STAFF_PASSWORD = "Passw0rd!2026"


def make_staff(
    database: Database,
    clock: Clock,
    role: str,
    *,
    username: str | None = None,
    password: str = STAFF_PASSWORD,
    display_name: str | None = None,
) -> StaffUser:
    """A staff member committed in its own transaction (username defaults to the role)."""
    name = username or role.replace("_", "-")
    with database.transaction() as db:
        return create_staff(
            db,
            clock,
            username=name,
            password=password,
            display_name=display_name or name,
            role=role,
        )


@dataclass(frozen=True)
class StaffTeam:
    """One named user per role; each logs in with their username and ``STAFF_PASSWORD``."""

    admin: StaffUser
    supervisor: StaffUser
    l1: StaffUser
    l2: StaffUser
    tech: StaffUser
    finance: StaffUser
    supplier_liaison: StaffUser
    security: StaffUser


def make_team(database: Database, clock: Clock) -> StaffTeam:
    def member(role: str, username: str, display_name: str) -> StaffUser:
        return make_staff(database, clock, role, username=username, display_name=display_name)

    return StaffTeam(
        admin=member("admin", "admin", "站长"),
        supervisor=member("supervisor", "supervisor", "主管老王"),
        l1=member("agent_l1", "l1", "客服小一"),
        l2=member("agent_l2", "l2", "资深客服小二"),
        tech=member("tech", "tech", "技术小张"),
        finance=member("finance", "finance", "财务小李"),
        supplier_liaison=member("supplier_liaison", "supplier", "上游对接小赵"),
        security=member("security", "security", "安全小周"),
    )


def login_headers(
    client: TestClient, username: str, password: str = STAFF_PASSWORD
) -> dict[str, str]:
    """Bearer headers from the real login endpoint.

    The login also sets the session cookie on the client; it is dropped so a
    later request without these headers is really anonymous.
    """
    response = client.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    client.cookies.delete(SESSION_COOKIE)
    return {"Authorization": f"Bearer {response.json()['token']}"}
