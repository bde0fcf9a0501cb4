"""Managing staff accounts: who may, what is checked, and what the audit log keeps."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.factories import STAFF_PASSWORD, StaffTeam, login_headers, make_staff
from yiwen.auth.audit import Actor, AuditEntry
from yiwen.auth.models import StaffUser
from yiwen.auth.service import create_staff, update_staff
from yiwen.core.clock import FixedClock
from yiwen.core.db import Database
from yiwen.core.errors import Conflict, InvalidInput

STAFF = "/api/v1/staff"
ME = "/api/v1/auth/me"


def _snapshot(database: Database) -> list[tuple[object, ...]]:
    with database.reading() as db:
        users = db.scalars(select(StaffUser).order_by(StaffUser.username))
        rows = [(u.id, u.username, u.role, u.is_active, u.display_name) for u in users]
        audit = db.scalar(select(func.count()).select_from(AuditEntry))
    return [*rows, ("audit entries", audit)]


def test_admin_creates_an_account_that_can_log_in(
    client: TestClient, team: StaffTeam, admin_headers: dict[str, str]
) -> None:
    response = client.post(
        STAFF,
        json={
            "username": "New.Agent",
            "password": "Str0ng-enough",
            "display_name": " 新 客服 ",
            "role": "agent_l1",
            "email": "agent@shop.example",
        },
        headers=admin_headers,
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert (created["username"], created["display_name"]) == ("new.agent", "新 客服")
    assert "password_hash" not in created
    headers = login_headers(client, "new.agent", "Str0ng-enough")
    assert client.get(ME, headers=headers).json()["id"] == created["id"]


def test_duplicate_username_is_a_conflict(
    client: TestClient, team: StaffTeam, admin_headers: dict[str, str]
) -> None:
    response = client.post(
        STAFF,
        json={"username": "L1", "password": "Str0ng-enough", "display_name": "x", "role": "tech"},
        headers=admin_headers,
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "username_taken"


@pytest.mark.parametrize(
    ("changes", "status"),
    [
        ({"username": "bad name!"}, 422),
        ({"username": "-dash"}, 422),
        ({"password": "short"}, 422),
        ({"role": "root"}, 422),
        ({"email": "not-an-email"}, 422),
        ({"display_name": "x" * 51}, 422),
        ({"display_name": "   "}, 422),
        ({"username": "u" * 33}, 422),
        ({"is_admin": True}, 422),
    ],
)
def test_invalid_new_accounts_are_refused(
    client: TestClient,
    team: StaffTeam,
    admin_headers: dict[str, str],
    database: Database,
    changes: dict[str, object],
    status: int,
) -> None:
    before = _snapshot(database)
    body = {
        "username": "fresh",
        "password": "Str0ng-enough",
        "display_name": "新人",
        "role": "tech",
    }
    response = client.post(STAFF, json={**body, **changes}, headers=admin_headers)
    assert response.status_code == status, response.text
    assert _snapshot(database) == before


def test_only_staff_managers_may_manage_staff_and_a_refusal_changes_nothing(
    client: TestClient, team: StaffTeam, database: Database
) -> None:
    before = _snapshot(database)
    for user in (team.supervisor, team.l2, team.security):
        headers = login_headers(client, user.username)
        logins = _snapshot(database)
        attempts = [
            client.get(STAFF, headers=headers),
            client.post(
                STAFF,
                json={
                    "username": "sneaky",
                    "password": "Str0ng-enough",
                    "display_name": "x",
                    "role": "admin",
                },
                headers=headers,
            ),
            client.patch(f"{STAFF}/{user.id}", json={"role": "admin"}, headers=headers),
            client.patch(f"{STAFF}/{team.admin.id}", json={"is_active": False}, headers=headers),
        ]
        for refused in attempts:
            assert refused.status_code == 403, refused.text
            assert refused.json()["error"]["code"] == "permission_denied"
        assert _snapshot(database) == logins
    # Only the logins themselves were recorded.
    assert _snapshot(database)[:-1] == before[:-1]


def test_staff_list_is_paginated_by_username_and_filtered(
    client: TestClient, team: StaffTeam, admin_headers: dict[str, str]
) -> None:
    first = client.get(STAFF, params={"limit": 3}, headers=admin_headers).json()
    second = client.get(
        STAFF, params={"limit": 3, "cursor": first["next_cursor"]}, headers=admin_headers
    ).json()
    names = [u["username"] for u in first["items"] + second["items"]]
    assert names == ["admin", "finance", "l1", "l2", "security", "supervisor"]
    rest = client.get(
        STAFF, params={"limit": 3, "cursor": second["next_cursor"]}, headers=admin_headers
    ).json()
    assert [u["username"] for u in rest["items"]] == ["supplier", "tech"]
    assert rest["next_cursor"] is None
    l2_only = client.get(STAFF, params={"role": "agent_l2"}, headers=admin_headers).json()
    assert [u["username"] for u in l2_only["items"]] == ["l2"]
    assert client.get(STAFF, params={"role": "root"}, headers=admin_headers).status_code == 422


def test_role_change_is_audited_with_before_and_after(
    client: TestClient, team: StaffTeam, admin_headers: dict[str, str], database: Database
) -> None:
    response = client.patch(
        f"{STAFF}/{team.l1.id}",
        json={"role": "agent_l2", "display_name": "客服小一"},
        headers=admin_headers,
    )
    assert response.status_code == 200, response.text
    assert response.json()["role"] == "agent_l2"
    assert "card_key.reveal" in response.json()["permissions"]
    with database.reading() as db:
        entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "staff.update")).one()
        assert entry.before == {"role": "agent_l1"}  # the unchanged display name is not listed
        assert entry.after == {"role": "agent_l2"}
        assert (entry.actor_id, entry.actor_name) == (team.admin.id, "站长")
        assert (entry.target_type, entry.target_id) == ("staff_user", team.l1.id)


def test_a_new_role_applies_to_open_sessions_at_once(
    client: TestClient, team: StaffTeam, admin_headers: dict[str, str]
) -> None:
    l2_headers = login_headers(client, "l2")
    assert "card_key.reveal" in client.get(ME, headers=l2_headers).json()["permissions"]
    client.patch(f"{STAFF}/{team.l2.id}", json={"role": "agent_l1"}, headers=admin_headers)
    assert "card_key.reveal" not in client.get(ME, headers=l2_headers).json()["permissions"]


def test_deactivation_ends_sessions_and_is_audited(
    client: TestClient,
    team: StaffTeam,
    admin_headers: dict[str, str],
    database: Database,
    clock: FixedClock,
) -> None:
    l1_headers = login_headers(client, "l1")
    response = client.patch(
        f"{STAFF}/{team.l1.id}", json={"is_active": False}, headers=admin_headers
    )
    assert response.json()["is_active"] is False
    assert client.get(ME, headers=l1_headers).status_code == 401
    clock.advance(timedelta(minutes=1))
    client.patch(f"{STAFF}/{team.l1.id}", json={"is_active": True}, headers=admin_headers)
    # Reactivation does not bring the old session back.
    assert client.get(ME, headers=l1_headers).status_code == 401
    with database.reading() as db:
        entry = db.scalars(
            select(AuditEntry).where(AuditEntry.action == "staff.update").order_by(AuditEntry.at)
        ).first()
        assert entry is not None
        assert entry.before == {"is_active": True}
        assert entry.after == {"is_active": False, "sessions_revoked": 1}


def test_admin_password_reset_ends_the_users_sessions(
    client: TestClient, team: StaffTeam, admin_headers: dict[str, str], database: Database
) -> None:
    l1_headers = login_headers(client, "l1")
    client.patch(
        f"{STAFF}/{team.l1.id}", json={"password": "Reset-by-admin1"}, headers=admin_headers
    )
    assert client.get(ME, headers=l1_headers).status_code == 401
    assert client.get(ME, headers=login_headers(client, "l1", "Reset-by-admin1")).status_code == 200
    with database.reading() as db:
        entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "staff.update")).one()
        assert entry.after == {"password_reset": True, "sessions_revoked": 1}
        assert "Reset-by-admin1" not in str(entry.before) + str(entry.after)


def test_the_last_active_admin_cannot_be_demoted_or_deactivated(
    client: TestClient, team: StaffTeam, admin_headers: dict[str, str], database: Database
) -> None:
    before = _snapshot(database)
    for change in ({"role": "supervisor"}, {"is_active": False}):
        refused = client.patch(f"{STAFF}/{team.admin.id}", json=change, headers=admin_headers)
        assert refused.status_code == 409
        assert refused.json()["error"]["code"] == "last_admin"
    assert _snapshot(database) == before
    second = client.post(
        STAFF,
        json={
            "username": "admin2",
            "password": "Str0ng-enough",
            "display_name": "副站长",
            "role": "admin",
        },
        headers=admin_headers,
    ).json()
    demoted = client.patch(
        f"{STAFF}/{team.admin.id}", json={"role": "supervisor"}, headers=admin_headers
    )
    assert demoted.status_code == 200
    refused = client.patch(
        f"{STAFF}/{second['id']}",
        json={"is_active": False},
        headers=login_headers(client, "admin2", "Str0ng-enough"),
    )
    assert refused.status_code == 409


def test_patching_an_unknown_account_is_not_found(
    client: TestClient, team: StaffTeam, admin_headers: dict[str, str]
) -> None:
    missing = client.patch(f"{STAFF}/{'0' * 32}", json={"role": "tech"}, headers=admin_headers)
    too_long = client.patch(f"{STAFF}/{'0' * 33}", json={"role": "tech"}, headers=admin_headers)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "staff_not_found"
    assert too_long.status_code == 422


def test_email_can_be_set_and_cleared(database: Database, clock: FixedClock) -> None:
    user = make_staff(database, clock, "tech", username="tech")
    with database.transaction() as db:
        update_staff(db, clock, user.id, actor=Actor.system(), email="t@shop.example")
    with database.transaction() as db:
        assert db.get(StaffUser, user.id).email == "t@shop.example"  # type: ignore[union-attr]
        update_staff(db, clock, user.id, actor=Actor.system(), email="")
    with database.reading() as db:
        assert db.get(StaffUser, user.id).email is None  # type: ignore[union-attr]


def test_create_staff_validates_before_writing(database: Database, clock: FixedClock) -> None:
    with database.transaction() as db:
        for kwargs, code in (
            ({"username": "ok", "role": "boss"}, "role_unknown"),
            ({"username": "no spaces", "role": "tech"}, "username_invalid"),
            ({"username": "x", "role": "tech"}, "username_invalid"),
        ):
            with pytest.raises(InvalidInput) as refused:
                create_staff(db, clock, password=STAFF_PASSWORD, display_name="x", **kwargs)
            assert refused.value.code == code
        create_staff(
            db, clock, username="ok", password=STAFF_PASSWORD, display_name="x", role="tech"
        )
        with pytest.raises(Conflict):
            create_staff(
                db, clock, username="OK", password=STAFF_PASSWORD, display_name="y", role="tech"
            )
        with pytest.raises(InvalidInput) as short:
            create_staff(
                db, clock, username="ok2", password="1234567", display_name="y", role="tech"
            )
        assert short.value.code == "password_too_short"
