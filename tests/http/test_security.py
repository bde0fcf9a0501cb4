"""Page safety over HTTP: security headers, CORS for the widget's shop origins,
HttpOnly + SameSite session cookies, and CSRF on cookie-authenticated writes."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.factories import STAFF_PASSWORD, StaffTeam
from yiwen.core.clock import FixedClock
from yiwen.core.db import Database
from yiwen.core.settings import Settings
from yiwen.http.deps import SESSION_COOKIE
from yiwen.store.connectors.demo.connector import DemoStoreConnector

SHOP = "https://shop.example.com"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64


def _policy(value: str) -> dict[str, str]:
    parts = (p.strip().split(" ", 1) for p in value.split(";") if p.strip())
    return {name: rest for name, rest in parts}


@pytest.mark.parametrize("path", ["/healthz", "/no-such-page", "/api/v1/auth/me"])
def test_every_response_carries_the_page_protections(client: TestClient, path: str) -> None:
    response = client.get(path)
    policy = _policy(response.headers["content-security-policy"])
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"  # no inline script, no eval, no other host
    assert policy["object-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["base-uri"] == "'self'"
    assert policy["img-src"] == "'self' data: blob:"
    assert policy["connect-src"] == "'self' ws: wss:"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert response.headers["x-frame-options"] == "DENY"


def test_an_uploaded_file_keeps_its_stricter_sandbox_policy(client: TestClient) -> None:
    started = client.post("/api/v1/customer/conversations", json={}).json()
    auth = {"X-Conversation-Token": started["token"]}
    conversation_id = started["conversation"]["id"]
    stored = client.post(
        f"/api/v1/customer/conversations/{conversation_id}/attachments",
        files={"file": ("a.png", io.BytesIO(PNG), "image/png")},
        headers=auth,
    ).json()
    served = client.get(f"/api/v1/customer/attachments/{stored['id']}", headers=auth)
    assert served.status_code == 200
    assert served.headers["content-security-policy"] == "default-src 'none'; sandbox"


@pytest.fixture
def shop_client(
    settings: Settings, clock: FixedClock, database: Database, demo: DemoStoreConnector
) -> Iterator[TestClient]:
    from yiwen.web.app import create_app

    settings.widget_allowed_origins = [SHOP + "/"]
    with TestClient(create_app(settings, clock=clock, database=database, store=demo)) as client:
        yield client


def _preflight(client: TestClient, origin: str, path: str) -> object:
    return client.options(
        path,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,x-conversation-token",
        },
    )


def test_a_configured_shop_origin_may_call_the_customer_api(shop_client: TestClient) -> None:
    preflight = _preflight(shop_client, SHOP, "/api/v1/customer/conversations")
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == SHOP
    allowed = preflight.headers["access-control-allow-headers"].lower()
    assert "x-conversation-token" in allowed and "content-type" in allowed
    assert "access-control-allow-credentials" not in preflight.headers

    started = shop_client.post("/api/v1/customer/conversations", json={}, headers={"Origin": SHOP})
    assert started.status_code == 201
    assert started.headers["access-control-allow-origin"] == SHOP
    assert "origin" in started.headers["vary"].lower()


def test_another_origin_gets_no_cors_permission(shop_client: TestClient) -> None:
    evil = "https://evil.example.net"
    preflight = _preflight(shop_client, evil, "/api/v1/customer/conversations")
    assert preflight.status_code == 403
    assert preflight.json()["error"]["code"] == "cors_origin_not_allowed"
    assert "商家" in preflight.json()["error"]["message"]
    assert "access-control-allow-origin" not in preflight.headers

    started = shop_client.post("/api/v1/customer/conversations", json={}, headers={"Origin": evil})
    assert "access-control-allow-origin" not in started.headers


def test_staff_apis_are_never_opened_to_shop_origins(shop_client: TestClient) -> None:
    login = shop_client.post(
        "/api/v1/auth/login",
        json={"username": "nobody", "password": "x" * 12},
        headers={"Origin": SHOP},
    )
    assert "access-control-allow-origin" not in login.headers
    preflight = _preflight(shop_client, SHOP, "/api/v1/auth/login")
    assert "access-control-allow-origin" not in preflight.headers


def test_without_configured_origins_no_cross_origin_call_is_allowed(client: TestClient) -> None:
    preflight = _preflight(client, SHOP, "/api/v1/customer/conversations")
    assert preflight.status_code == 403


def test_a_wildcard_lets_any_shop_page_embed_the_widget(
    settings: Settings, clock: FixedClock, database: Database, demo: DemoStoreConnector
) -> None:
    from yiwen.web.app import create_app

    settings.widget_allowed_origins = ["*"]
    with TestClient(create_app(settings, clock=clock, database=database, store=demo)) as client:
        preflight = _preflight(client, "https://any-shop.example", "/api/v1/customer/conversations")
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "https://any-shop.example"


def _login(client: TestClient, username: str) -> dict[str, object]:
    response = client.post(
        "/api/v1/auth/login", json={"username": username, "password": STAFF_PASSWORD}
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_the_session_cookie_is_http_only_and_same_site(client: TestClient, team: StaffTeam) -> None:
    response = client.post(
        "/api/v1/auth/login", json={"username": team.l1.username, "password": STAFF_PASSWORD}
    )
    cookie = response.headers["set-cookie"]
    attributes = {part.strip().split("=", 1)[0].lower() for part in cookie.split(";")}
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    assert "httponly" in attributes
    assert "samesite=lax" in cookie.lower()
    assert "path=/" in cookie.lower()
    assert "secure" not in attributes  # plain-HTTP development default


def test_the_session_cookie_is_secure_when_configured(
    settings: Settings,
    clock: FixedClock,
    database: Database,
    demo: DemoStoreConnector,
    team: StaffTeam,
) -> None:
    from yiwen.web.app import create_app

    settings.cookie_secure = True
    with TestClient(create_app(settings, clock=clock, database=database, store=demo)) as client:
        response = client.post(
            "/api/v1/auth/login", json={"username": team.l1.username, "password": STAFF_PASSWORD}
        )
    attributes = {p.strip().lower() for p in response.headers["set-cookie"].split(";")}
    assert {"secure", "httponly", "samesite=lax"} <= attributes


def test_a_cookie_write_without_the_csrf_token_is_refused_and_changes_nothing(
    client: TestClient, team: StaffTeam
) -> None:
    login = _login(client, team.l1.username)
    for headers in ({}, {"X-CSRF-Token": "forged-" + str(login["csrf_token"])[:8]}):
        presence = client.put(
            "/api/v1/agents/me/presence", json={"presence": "online"}, headers=headers
        )
        assert presence.status_code == 403
        assert presence.json()["error"]["code"] == "csrf_failed"
        assert presence.json()["error"]["message"]
        logout = client.post("/api/v1/auth/logout", headers=headers)
        assert logout.status_code == 403
    me = client.get("/api/v1/agents/me/presence")
    assert me.status_code == 200 and me.json()["presence"] == "offline"
    assert client.get("/api/v1/auth/me").status_code == 200  # still logged in


def test_a_cookie_write_with_the_session_csrf_token_goes_through(
    client: TestClient, team: StaffTeam
) -> None:
    login = _login(client, team.l1.username)
    csrf = {"X-CSRF-Token": str(login["csrf_token"])}
    presence = client.put("/api/v1/agents/me/presence", json={"presence": "online"}, headers=csrf)
    assert presence.status_code == 200 and presence.json()["presence"] == "online"
    assert client.post("/api/v1/auth/logout", headers=csrf).status_code == 204
    assert client.get("/api/v1/auth/me").status_code == 401


def test_a_bearer_token_needs_no_csrf_token_because_browsers_never_send_it_alone(
    client: TestClient, team: StaffTeam
) -> None:
    login = _login(client, team.l1.username)
    client.cookies.delete(SESSION_COOKIE)
    bearer = {"Authorization": f"Bearer {login['token']}"}
    presence = client.put("/api/v1/agents/me/presence", json={"presence": "away"}, headers=bearer)
    assert presence.status_code == 200 and presence.json()["presence"] == "away"
