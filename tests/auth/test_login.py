"""Logging in, sessions by token and by cookie, CSRF, expiry, logout and password changes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select

from tests.factories import STAFF_PASSWORD, StaffTeam, login_headers, make_staff
from yiwen.auth import passwords
from yiwen.auth.audit import AuditEntry
from yiwen.auth.models import StaffSession, StaffUser
from yiwen.auth.service import attempt_login, resolve_session
from yiwen.core.clock import FixedClock
from yiwen.core.db import Database
from yiwen.core.errors import RateLimited, Unauthenticated
from yiwen.core.ids import hash_token
from yiwen.core.settings import Settings
from yiwen.http.deps import SESSION_COOKIE

LOGIN = "/api/v1/auth/login"
ME = "/api/v1/auth/me"
PASSWORD = "/api/v1/auth/password"
LOGOUT = "/api/v1/auth/logout"


def _login(client: TestClient, username: str, password: str = STAFF_PASSWORD) -> Response:
    return client.post(LOGIN, json={"username": username, "password": password})


def test_login_returns_a_token_csrf_and_the_users_permissions(
    client: TestClient, database: Database, clock: FixedClock, settings: Settings
) -> None:
    user = make_staff(database, clock, "agent_l2", username="l2", display_name="小二")
    response = _login(client, "L2 ")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["user"]["id"] == user.id
    assert body["user"]["role"] == "agent_l2"
    assert "card_key.reveal" in body["user"]["permissions"]
    assert "account.freeze" not in body["user"]["permissions"]
    assert body["csrf_token"] and body["csrf_token"] != body["token"]
    expected_expiry = clock.now() + timedelta(hours=settings.session_ttl_hours)
    assert body["expires_at"].startswith(expected_expiry.isoformat()[:19])
    with database.reading() as db:
        stored = db.scalars(select(StaffSession)).one()
        assert stored.token_hash == hash_token(body["token"])
        assert body["token"] not in (stored.token_hash, stored.csrf_token)


def test_login_sets_an_http_only_lax_session_cookie(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    make_staff(database, clock, "agent_l1", username="l1")
    response = _login(client, "l1")
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}={response.json()['token']};")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Path=/" in cookie
    assert "Secure" not in cookie


def test_cookie_is_secure_when_configured(
    settings: Settings, clock: FixedClock, database: Database
) -> None:
    from yiwen.web.app import create_app

    settings.cookie_secure = True
    make_staff(database, clock, "agent_l1", username="l1")
    with TestClient(create_app(settings, clock=clock, database=database)) as client:
        assert "Secure" in _login(client, "l1").headers["set-cookie"]


def test_wrong_password_and_unknown_user_get_the_same_answer(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    make_staff(database, clock, "agent_l1", username="l1")
    wrong = _login(client, "l1", "not-the-password")
    unknown = _login(client, "nobody", STAFF_PASSWORD)
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.json()["error"] == {"code": "login_failed", "message": "用户名或密码错误"}
    assert SESSION_COOKIE not in client.cookies


def test_deactivated_user_cannot_log_in_nor_use_an_open_session(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    user = make_staff(database, clock, "agent_l1", username="l1")
    headers = login_headers(client, "l1")
    with database.transaction() as db:
        db.get(StaffUser, user.id).is_active = False  # type: ignore[union-attr]
    assert client.get(ME, headers=headers).status_code == 401
    refused = _login(client, "l1")
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "login_failed"


def test_five_failures_lock_the_username_for_fifteen_minutes(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    make_staff(database, clock, "agent_l1", username="l1")
    for _ in range(5):
        assert _login(client, "l1", "guess-guess").json()["error"]["code"] == "login_failed"
        clock.advance(timedelta(minutes=1))
    locked = _login(client, "l1")  # even the right password
    assert locked.status_code == 429
    assert locked.json()["error"]["code"] == "login_locked"
    assert "10 分钟" in locked.json()["error"]["message"]
    clock.advance(timedelta(minutes=10, seconds=1))  # the first failure leaves the window
    assert _login(client, "l1").status_code == 200


def test_failures_older_than_the_window_do_not_lock(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    make_staff(database, clock, "agent_l1", username="l1")
    for _ in range(4):
        _login(client, "l1", "guess-guess")
    clock.advance(timedelta(minutes=16))
    _login(client, "l1", "guess-guess")
    assert _login(client, "l1").status_code == 200


def test_a_successful_login_clears_the_failure_count(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    make_staff(database, clock, "agent_l1", username="l1")
    for _ in range(4):
        _login(client, "l1", "guess-guess")
    assert _login(client, "l1").status_code == 200
    for _ in range(4):
        _login(client, "l1", "guess-guess")
    assert _login(client, "l1").status_code == 200


def test_unknown_usernames_lock_too_so_locking_reveals_nothing(
    database: Database, clock: FixedClock, settings: Settings
) -> None:
    for _ in range(5):
        with pytest.raises(Unauthenticated):
            attempt_login(database, clock, settings, username="ghost", password="whatever1")
    with pytest.raises(RateLimited):
        attempt_login(database, clock, settings, username="ghost", password="whatever1")
    with database.reading() as db:
        failures = db.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "auth.login_failed", AuditEntry.target_id == "ghost")
        )
    assert failures == 5


def test_login_upgrades_a_hash_made_with_old_parameters(
    client: TestClient, database: Database, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = make_staff(database, clock, "agent_l1", username="l1")
    stronger = PasswordHasher(time_cost=2, memory_cost=128, parallelism=1)
    monkeypatch.setattr(passwords, "hasher", stronger)
    assert _login(client, "l1").status_code == 200
    with database.reading() as db:
        new_hash = db.get(StaffUser, user.id).password_hash  # type: ignore[union-attr]
    assert new_hash != user.password_hash
    assert not stronger.check_needs_rehash(new_hash)
    assert _login(client, "l1").status_code == 200


def test_login_is_audited(client: TestClient, database: Database, clock: FixedClock) -> None:
    user = make_staff(database, clock, "agent_l1", username="l1")
    _login(client, "l1")
    with database.reading() as db:
        entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "auth.login")).one()
        assert (entry.actor_type, entry.actor_id, entry.target_id) == ("staff", user.id, user.id)
        assert entry.ip == "testclient"


def test_bearer_token_authenticates(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    make_staff(database, clock, "finance", username="fin")
    headers = login_headers(client, "fin")
    me = client.get(ME, headers=headers)
    assert me.status_code == 200
    assert me.json()["username"] == "fin"
    assert client.get(ME).status_code == 401
    assert client.get(ME).json()["error"]["code"] == "not_logged_in"
    bogus = client.get(ME, headers={"Authorization": "Bearer forged-token"})
    assert bogus.status_code == 401
    assert bogus.json()["error"]["code"] == "session_invalid"


def test_cookie_authenticates_reads_without_csrf(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    make_staff(database, clock, "agent_l1", username="l1")
    _login(client, "l1")
    assert client.get(ME).json()["username"] == "l1"


def test_cookie_write_needs_the_sessions_csrf_token(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    user = make_staff(database, clock, "agent_l1", username="l1")
    csrf = _login(client, "l1").json()["csrf_token"]
    change = {"old_password": STAFF_PASSWORD, "new_password": "N3w-secret-pass"}
    missing = client.post(PASSWORD, json=change)
    forged = client.post(PASSWORD, json=change, headers={"X-CSRF-Token": "guess"})
    assert missing.status_code == forged.status_code == 403
    assert missing.json()["error"]["code"] == "csrf_failed"
    with database.reading() as db:
        assert db.get(StaffUser, user.id).password_hash == user.password_hash  # type: ignore[union-attr]
    accepted = client.post(PASSWORD, json=change, headers={"X-CSRF-Token": csrf})
    assert accepted.status_code == 204, accepted.text


def test_session_expires_after_the_configured_hours(
    client: TestClient, database: Database, clock: FixedClock, settings: Settings
) -> None:
    make_staff(database, clock, "agent_l1", username="l1")
    headers = login_headers(client, "l1")
    clock.advance(timedelta(hours=settings.session_ttl_hours) - timedelta(seconds=1))
    assert client.get(ME, headers=headers).status_code == 200
    clock.advance(timedelta(seconds=1))
    expired = client.get(ME, headers=headers)
    assert expired.status_code == 401
    assert expired.json()["error"]["code"] == "session_invalid"


def test_logout_ends_the_session_and_clears_the_cookie(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    make_staff(database, clock, "agent_l1", username="l1")
    headers = login_headers(client, "l1")
    other = login_headers(client, "l1")
    response = client.post(LOGOUT, headers=headers)
    assert response.status_code == 204
    assert f'{SESSION_COOKIE}=""' in response.headers["set-cookie"]
    assert client.get(ME, headers=headers).status_code == 401
    assert client.get(ME, headers=other).status_code == 200


def test_password_change_ends_every_other_session(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    make_staff(database, clock, "agent_l1", username="l1")
    laptop = login_headers(client, "l1")
    phone = login_headers(client, "l1")
    change = {"old_password": STAFF_PASSWORD, "new_password": "N3w-secret-pass"}
    assert client.post(PASSWORD, json=change, headers=laptop).status_code == 204
    assert client.get(ME, headers=laptop).status_code == 200
    assert client.get(ME, headers=phone).status_code == 401
    assert _login(client, "l1").status_code == 401
    assert _login(client, "l1", "N3w-secret-pass").status_code == 200


def test_password_change_needs_the_current_password(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    make_staff(database, clock, "agent_l1", username="l1")
    headers = login_headers(client, "l1")
    other = login_headers(client, "l1")
    wrong = client.post(
        PASSWORD,
        json={"old_password": "nope-nope", "new_password": "N3w-secret-pass"},
        headers=headers,
    )
    short = client.post(
        PASSWORD, json={"old_password": STAFF_PASSWORD, "new_password": "short"}, headers=headers
    )
    same = client.post(
        PASSWORD,
        json={"old_password": STAFF_PASSWORD, "new_password": STAFF_PASSWORD},
        headers=headers,
    )
    assert wrong.json()["error"]["code"] == "password_wrong"
    assert short.status_code == same.status_code == 422
    assert same.json()["error"]["code"] == "password_unchanged"
    assert client.get(ME, headers=other).status_code == 200
    assert _login(client, "l1").status_code == 200


def test_resolve_session_refuses_revoked_and_unknown_tokens(
    database: Database, clock: FixedClock, settings: Settings
) -> None:
    make_staff(database, clock, "agent_l1", username="l1")
    _, token, staff_session = attempt_login(
        database, clock, settings, username="l1", password=STAFF_PASSWORD
    )
    with database.reading() as db:
        user, found = resolve_session(db, clock, token)
        assert (user.username, found.id) == ("l1", staff_session.id)
    with database.transaction() as db:
        db.get(StaffSession, staff_session.id).revoked_at = clock.now()  # type: ignore[union-attr]
    for bad in (token, "", "x" * 1000, "unknown"):
        with database.reading() as db, pytest.raises(Unauthenticated) as refused:
            resolve_session(db, clock, bad)
        assert refused.value.code == "session_invalid"


@pytest.mark.parametrize(
    "payload",
    [
        b"{not json",
        b"[]",
        b'{"username": "l1"}',
        b'{"username": "' + b"a" * 65 + b'", "password": "x"}',
        b'{"username": "l1", "password": "' + b"p" * 129 + b'"}',
        b'{"username": 12, "password": null}',
    ],
)
def test_malformed_or_oversized_login_is_a_client_error(
    client: TestClient, payload: bytes, team: StaffTeam
) -> None:
    response = client.post(LOGIN, content=payload, headers={"Content-Type": "application/json"})
    assert response.status_code in (400, 422), response.text
    assert response.json()["error"]["code"] in ("malformed_json", "invalid_request")


def test_english_error_text_on_request(client: TestClient) -> None:
    response = client.post(
        LOGIN, json={"username": "x", "password": "y"}, headers={"Accept-Language": "en"}
    )
    assert response.json()["error"]["message"] == "Wrong username or password"
