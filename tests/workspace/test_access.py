"""No staff endpoint is open: anonymous callers get 401, roles without the permission 403.

The routes are read from the app itself, so a staff route added later is covered
(or fails here for want of sample ids) without anyone remembering to list it.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import update
from starlette.websockets import WebSocketDisconnect

from tests.factories import StaffTeam, login_headers, make_staff
from tests.workspace.conftest import Reporter, Seats, audit_entries
from yiwen.auth.models import StaffUser
from yiwen.core.clock import FixedClock
from yiwen.core.db import Database
from yiwen.core.settings import Settings
from yiwen.store.connectors.demo.connector import DemoStoreConnector
from yiwen.web.app import create_app

try:  # FastAPI ≥ 0.16x keeps included routers nested in app.routes
    from fastapi.routing import iter_route_contexts
except ImportError:  # pragma: no cover - older FastAPI lists the routes flat
    iter_route_contexts = None

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64
# Public (customer) routes and the login itself are meant to be reachable without a staff session.
PUBLIC_PREFIXES = (
    "/api/v1/customer/",
    "/api/v1/auth/login",
    "/api/v1/help/",
    "/api/v1/public/",
)
# Routes for one's own session: any logged-in staff member may use them, whatever the role.
OWN_SESSION_PREFIX = "/api/v1/auth/"


@dataclass(frozen=True)
class Route:
    method: str
    path: str

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def _routes_of(app: FastAPI) -> Iterator[tuple[str, set[str] | None]]:
    routes = iter_route_contexts(app.routes) if iter_route_contexts else app.routes
    for route in routes:
        path = getattr(route, "path", None)
        if path is not None:
            yield path, getattr(route, "methods", None)


def _staff_routes() -> list[Route]:
    """Every HTTP route under /api/v1 that is not public; WebSockets have no methods."""
    app = create_app(Settings(secret_key="route-listing-" + "x" * 20, database_url="sqlite://"))
    found = set()
    for path, methods in _routes_of(app):
        if not path.startswith("/api/v1/") or path.startswith(PUBLIC_PREFIXES) or not methods:
            continue
        for method in methods - {"HEAD", "OPTIONS"}:
            found.add(Route(method, path))
    return sorted(found, key=lambda r: (r.path, r.method))


STAFF_ROUTES = _staff_routes()
ROLE_GATED_ROUTES = [r for r in STAFF_ROUTES if not r.path.startswith(OWN_SESSION_PREFIX)]


@dataclass(frozen=True)
class RealIds:
    """Real records for every path parameter, so a refusal is never a 404 in disguise."""

    values: dict[str, str]

    def fill(self, path: str) -> str:
        missing = set(re.findall(r"\{(\w+)\}", path)) - set(self.values)
        assert not missing, f"add sample ids for {missing} (new route {path}?)"
        return path.format(**self.values)


@pytest.fixture
def ids(
    client: TestClient,
    team: StaffTeam,
    seat: Seats,
    report: Reporter,
    demo: DemoStoreConnector,
    database: Database,
    clock: FixedClock,
) -> RealIds:
    cases = demo.example_orders()
    reported = report(order_no=cases["push_failed"].order_no, contact=cases["push_failed"].contact)
    delivered = demo.get_order(cases["delivered_ok"].order_no)
    macro = client.post(
        "/api/v1/macros", json={"title": "问候", "body": "您好"}, headers=seat("supervisor")
    )
    assert macro.status_code == 201, macro.text
    upload = client.post(
        f"/api/v1/customer/conversations/{reported.conversation_id}/attachments",
        files={"file": ("pay.png", io.BytesIO(PNG), "image/png")},
        headers=reported.customer,
    )
    assert upload.status_code == 201, upload.text
    return RealIds(
        {
            "ticket_id": reported.id,
            "conversation_id": reported.conversation_id,
            "customer_id": reported.customer_id,
            "order_no": delivered.order_no,
            "key_id": delivered.delivery.card_keys[0].key_id,
            "macro_id": macro.json()["id"],
            "attachment_id": upload.json()["id"],
            "user_id": team.l1.id,
            "queue_key": "general_l1",
            "category": "card_invalid",
            "policy_id": "slapol0000000000000000000default",  # seeded by migration 0004
            "calendar_id": "slacal0000000000000000000000247",
            "article_id": "refund-policy",  # a packaged help-center article
            "shift_id": _shift_id(database, clock, team),
            "announcement_id": _announcement_id(database, clock, team),
            "incident_id": _incident_id(database, clock),
            "fmt": "csv",
            "subscription_id": _subscription_id(client, seat),
            "hold_id": _hold_id(database, clock, reported.customer_id),
            **_notify_ids(database, clock),
            **_channel_ids(client, seat, database, reported.customer_id),
        }
    )


def _announcement_id(database: Database, clock: FixedClock, team: StaffTeam) -> str:
    from yiwen.auth.audit import Actor
    from yiwen.proactive.announcements.service import NewAnnouncement, publish_announcement

    new = NewAnnouncement(title="速充科技充值延迟", body="预计30分钟内恢复", order_nos=["X"])
    with database.transaction() as db:
        return publish_announcement(db, clock, new, actor=Actor.staff(team.supervisor)).id


def _hold_id(database: Database, clock: FixedClock, customer_id: str) -> str:
    from yiwen.auth.audit import Actor
    from yiwen.retention.holds import place_hold

    with database.transaction() as db:
        return place_hold(db, clock, customer_id, "诉讼保全", actor=Actor.system()).id


def _subscription_id(client: TestClient, seat: Seats) -> str:
    created = client.post(
        "/api/v1/reports/subscriptions",
        json={"name": "日报", "recipients": ["boss@example.com"], "frequency": "daily"},
        headers=seat("supervisor"),
    )
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


def _incident_id(database: Database, clock: FixedClock) -> str:
    from tests.proactive.incidents.helpers import open_supplier_incident

    return open_supplier_incident(database, clock)


def _shift_id(database: Database, clock: FixedClock, team: StaffTeam) -> str:
    from datetime import timedelta

    from yiwen.auth.audit import Actor
    from yiwen.workforce.shifts import ShiftFields, create_shift

    start = clock.now() + timedelta(days=1)
    fields = ShiftFields(team.l1.id, start, start + timedelta(hours=8))
    with database.transaction() as db:
        return create_shift(db, clock, fields, actor=Actor.staff(team.supervisor)).id


def _channel_ids(
    client: TestClient, seat: Seats, database: Database, customer_id: str
) -> dict[str, str]:
    """A channel account, an identity of the reporting customer and an external complaint."""
    from sqlalchemy import select

    from yiwen.customers.models import Identity

    account = client.post(
        "/api/v1/admin/channels",
        json={"channel": "qq", "name": "权限测试", "secrets": {"access_token": "t"}},
        headers=seat("admin"),
    )
    assert account.status_code == 201, account.text
    complaint = client.post(
        "/api/v1/complaints",
        json={"platform": "12315", "external_ref": "ACCESS-1", "text": "卡密无效，投诉"},
        headers=seat("supervisor"),
    )
    assert complaint.status_code == 201, complaint.text
    with database.reading() as db:
        identity_id = db.scalar(select(Identity.id).where(Identity.customer_id == customer_id))
    assert identity_id is not None
    return {
        "account_id": account.json()["id"],
        "complaint_id": complaint.json()["id"],
        "identity_id": identity_id,
    }


def _notify_ids(database: Database, clock: FixedClock) -> dict[str, str]:
    """A webhook endpoint and one delivery to it, for the notify admin routes."""
    from yiwen.notify.models import WebhookEndpoint
    from yiwen.notify.outbox import enqueue

    with database.transaction() as db:
        endpoint = WebhookEndpoint(
            url="https://hooks.example.com/yiwen",
            secret="s" * 32,
            events=[],
            description="",
            active=True,
            created_at=clock.now(),
            updated_at=clock.now(),
        )
        db.add(endpoint)
        db.flush()
        entry = enqueue(
            db,
            clock,
            key="access-check",
            kind="webhook",
            event="ticket.rated",
            recipient=endpoint.id,
            payload={},
        )
        assert entry is not None
        return {"webhook_id": endpoint.id, "delivery_id": entry.id}


def _valid_request(route: Route, ids: RealIds) -> dict[str, Any]:
    """A request that passes validation, for the two routes that check permissions in the
    service (after the body is parsed): order actions and card-key reveals."""
    if route.path.endswith("/actions"):
        return {
            "json": {
                "action": "refund",
                "order_no": ids.values["order_no"],
                "amount": "1.00",
                "reason": "权限测试",
            },
            "headers": {"Idempotency-Key": "access-check-0001"},
        }
    if route.path.endswith("/reveal"):
        return {"json": {"reason": "核对卡密"}, "headers": {}}
    return {"json": {}, "headers": {}} if route.method in ("POST", "PATCH") else {"headers": {}}


@pytest.fixture
def roleless(client: TestClient, database: Database, clock: FixedClock) -> dict[str, str]:
    """A staff member whose role was removed from the code: logged in, granted nothing."""
    user = make_staff(database, clock, "agent_l1", username="retired")
    with database.transaction() as db:
        db.execute(update(StaffUser).where(StaffUser.id == user.id).values(role="trainee"))
    return login_headers(client, "retired")


def test_the_route_listing_finds_the_workspace_routes() -> None:
    listed = {str(r) for r in STAFF_ROUTES}
    for expected in (
        "GET /api/v1/tickets",
        "PATCH /api/v1/tickets/{ticket_id}",
        "POST /api/v1/tickets/{ticket_id}/actions",
        "POST /api/v1/orders/{order_no}/card-keys/{key_id}/reveal",
        "GET /api/v1/customers/{customer_id}/overview",
        "PATCH /api/v1/macros/{macro_id}",
        "GET /api/v1/inbox/conversations",
    ):
        assert expected in listed, expected
    assert not any(r.path.startswith("/api/v1/customer/") for r in STAFF_ROUTES)


@pytest.mark.parametrize("route", STAFF_ROUTES, ids=str)
def test_every_staff_route_refuses_an_anonymous_caller_with_a_json_401(
    route: Route, client: TestClient, ids: RealIds, database: Database
) -> None:
    request = _valid_request(route, ids)
    response = client.request(route.method, ids.fill(route.path), **request)
    assert response.status_code == 401, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["error"]["code"] == "not_logged_in"
    assert not audit_entries(database, "order.refund")


@pytest.mark.parametrize("route", ROLE_GATED_ROUTES, ids=str)
def test_every_staff_route_refuses_a_role_without_permissions_and_admits_an_admin(
    route: Route, client: TestClient, ids: RealIds, roleless: dict[str, str], seat: Seats
) -> None:
    request = _valid_request(route, ids)
    path = ids.fill(route.path)
    request["headers"] = request["headers"] | roleless
    refused = client.request(route.method, path, **request)
    assert refused.status_code == 403, refused.text
    assert refused.headers["content-type"].startswith("application/json")
    assert refused.json()["error"]["code"] == "permission_denied"

    # The same request from an admin gets past the gate: the 403 came from the role.
    request["headers"] = request["headers"] | seat("admin")
    admitted = client.request(route.method, path, **request)
    assert admitted.status_code not in (401, 403), admitted.text


ASSIGN = "/api/v1/tickets/{ticket_id}/assign"
REVEAL = "/api/v1/orders/{order_no}/card-keys/{key_id}/reveal"


@pytest.mark.parametrize(
    ("username", "method", "path", "body", "permission"),
    [
        ("l1", "POST", "/api/v1/macros", {"title": "t", "body": "b"}, "macro.manage"),
        ("l2", "PATCH", "/api/v1/macros/{macro_id}", {"title": "改"}, "macro.manage"),
        ("l1", "POST", ASSIGN, {"agent_id": "{l2}"}, "ticket.assign"),
        ("finance", "POST", ASSIGN, {"agent_id": "{l2}"}, "ticket.assign"),
        ("l1", "POST", REVEAL, {"reason": "看看"}, "card_key.reveal"),
        ("finance", "POST", REVEAL, {"reason": "看看"}, "card_key.reveal"),
        ("supplier", "POST", REVEAL, {"reason": "看看"}, "card_key.reveal"),
        ("l1", "GET", "/api/v1/audit", None, "audit.read"),
        ("supervisor", "GET", "/api/v1/staff", None, "staff.manage"),
        ("l2", "PATCH", "/api/v1/staff/{user_id}", {"display_name": "x"}, "staff.manage"),
    ],
)
def test_a_role_lacking_the_routes_permission_is_refused_with_403(
    username: str,
    method: str,
    path: str,
    body: dict[str, str] | None,
    permission: str,
    client: TestClient,
    ids: RealIds,
    seat: Seats,
    team: StaffTeam,
    database: Database,
) -> None:
    if body is not None:
        body = {k: team.l2.id if v == "{l2}" else v for k, v in body.items()}
    response = client.request(method, ids.fill(path), json=body, headers=seat(username))
    assert response.status_code == 403, response.text
    assert response.json()["error"] == {
        "code": "permission_denied",
        "message": response.json()["error"]["message"],
    }
    assert permission in response.json()["error"]["message"]
    assert not audit_entries(database, "card_key.reveal")
    # (The sample complaint's own ticket was assigned to a supervisor when it was registered.)
    reported = ids.values["ticket_id"]
    assert not [e for e in audit_entries(database, "ticket.assigned") if e.target_id == reported]


@pytest.mark.parametrize(
    ("username", "action"),
    [
        ("tech", "refund"),
        ("security", "refund"),
        ("supplier", "refund"),
        ("finance", "resend_delivery"),
        ("finance", "repush_upstream"),
        ("security", "repush_upstream"),
        ("l1", "freeze_account"),
        ("l2", "unfreeze_account"),
        ("tech", "issue_coupon"),
    ],
)
def test_an_order_action_outside_the_roles_permissions_is_refused_with_403(
    username: str, action: str, client: TestClient, ids: RealIds, seat: Seats, database: Database
) -> None:
    body: dict[str, str] = {"action": action, "order_no": ids.values["order_no"], "reason": "测试"}
    if action in ("refund", "issue_coupon"):
        body["amount"] = "1.00"
    response = client.post(
        ids.fill("/api/v1/tickets/{ticket_id}/actions"),
        json=body,
        headers=seat(username) | {"Idempotency-Key": f"forbidden-{action}"},
    )
    assert response.status_code == 403, response.text
    assert response.json()["error"]["code"] == "permission_denied"
    assert not audit_entries(database, f"order.{action}")


def test_the_staff_live_stream_closes_on_anonymous_and_roleless_callers(
    client: TestClient, roleless: dict[str, str], seat: Seats
) -> None:
    token = roleless["Authorization"].removeprefix("Bearer ")
    for url in ("/api/v1/staff/ws", f"/api/v1/staff/ws?token={token}"):
        with pytest.raises(WebSocketDisconnect) as closed, client.websocket_connect(url) as ws:
            ws.receive_json()
        assert closed.value.code == 4401
    agent = seat("l1")["Authorization"].removeprefix("Bearer ")
    with client.websocket_connect(f"/api/v1/staff/ws?token={agent}") as ws:
        assert ws.receive_json()["type"] == "ready"
