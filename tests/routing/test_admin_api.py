"""Admins configure routing over the API; everyone else is refused and nothing changes."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.factories import StaffTeam, login_headers
from tests.routing.conftest import Desk
from yiwen.auth.audit import AuditEntry
from yiwen.core.db import Database
from yiwen.customers.models import Customer
from yiwen.routing.models import AgentProfile, CategoryRoute, RoutingQueue

ADMIN = "/api/v1/admin/routing"


def _snapshot(database: Database) -> dict[str, Any]:
    """Everything the admin API can change, to prove a refused call changed none of it."""
    with database.reading() as db:
        return {
            "queues": [
                (q.key, q.name, q.default_handle_minutes, q.arrival_floor_per_hour)
                for q in db.scalars(select(RoutingQueue).order_by(RoutingQueue.key))
            ],
            "routes": sorted((r.category, r.queue_key) for r in db.scalars(select(CategoryRoute))),
            "profiles": sorted(
                (p.agent_id, tuple(p.skills), p.tier, p.capacity, p.hourly_cap, p.presence)
                for p in db.scalars(select(AgentProfile))
            ),
            "customers": sorted(
                (c.id, c.tier, c.dedicated_agent_id) for c in db.scalars(select(Customer))
            ),
            "audit": len(
                list(db.scalars(select(AuditEntry.id).where(AuditEntry.action.like("routing.%"))))
            ),
        }


def test_the_seeded_queues_and_category_map_are_listed(client: TestClient, team: StaffTeam) -> None:
    headers = login_headers(client, "supervisor")
    queues = client.get(f"{ADMIN}/queues", headers=headers).json()
    assert {(q["department"], q["tier"]) for q in queues} == {
        (d, t)
        for d in ("general", "tech", "finance", "supplier_liaison", "security")
        for t in ("L1", "L2")
    }
    mapped = {
        r["category"]: r["queue"]
        for r in client.get(f"{ADMIN}/category-map", headers=headers).json()
    }
    assert mapped["card_invalid"] == "supplier_liaison_l1"
    assert mapped["refund_request"] == "finance_l1"
    assert mapped["account_security"] == "security_l1"
    assert mapped["payment_issue"] == "finance_l1"
    assert mapped["delivery_missing"] == "general_l1"


def test_a_remapped_category_routes_new_work_to_the_new_queue_and_is_audited(
    client: TestClient, team: StaffTeam, desk: Desk, database: Database
) -> None:
    headers = login_headers(client, "admin")
    tech = desk.agent("techie", role="tech")
    response = client.put(
        f"{ADMIN}/category-map/how_to_use", json={"queue": "tech_l1"}, headers=headers
    )
    assert response.status_code == 200, response.text
    assert desk.assignee(desk.waiting(category="how_to_use")) == tech.id
    with database.reading() as db:
        entry = db.scalar(
            select(AuditEntry).where(AuditEntry.action == "routing.category_route.update")
        )
        assert entry is not None and entry.actor_id == team.admin.id
        assert entry.before == {"queue": "general_l1"} and entry.after == {"queue": "tech_l1"}


def test_an_admin_sets_an_agents_profile_and_a_vip_with_a_dedicated_agent(
    client: TestClient, team: StaffTeam, database: Database
) -> None:
    headers = login_headers(client, "admin")
    response = client.patch(
        f"{ADMIN}/agents/{team.l2.id}",
        json={"skills": ["general", "finance"], "tier": "L2", "capacity": 8, "hourly_cap": 20},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    assert response.json()["skills"] == ["general", "finance"]
    assert response.json()["hourly_cap"] == 20
    cleared = client.patch(
        f"{ADMIN}/agents/{team.l2.id}", json={"hourly_cap": None}, headers=headers
    )
    assert cleared.json()["hourly_cap"] is None
    with database.transaction() as db:
        customer = Customer(created_at=team.l1.created_at, updated_at=team.l1.created_at)
        db.add(customer)
        db.flush()
        customer_id = customer.id
    vip = client.put(
        f"{ADMIN}/customers/{customer_id}",
        json={"vip": True, "dedicated_agent_id": team.l2.id},
        headers=headers,
    )
    assert vip.status_code == 200, vip.text
    assert vip.json() == {
        "customer_id": customer_id,
        "vip": True,
        "tier": "vip",
        "dedicated_agent_id": team.l2.id,
    }
    assert client.get(f"{ADMIN}/customers/{customer_id}", headers=headers).json()["vip"] is True
    listed = {a["username"]: a for a in client.get(f"{ADMIN}/agents", headers=headers).json()}
    assert listed["l2"]["capacity"] == 8
    assert listed["finance"]["skills"] == ["finance"]  # a role's defaults before any profile


@pytest.mark.parametrize(
    ("method", "path", "body", "code"),
    [
        ("PATCH", "/agents/{l1}", {"skills": ["sales"]}, "routing_unknown_department"),
        ("PATCH", "/agents/{l1}", {"tier": "L3"}, "routing_unknown_tier"),
        ("PATCH", "/agents/{l1}", {"capacity": 0}, "invalid_request"),
        ("PATCH", "/agents/{l1}", {"hourly_cap": -1}, "invalid_request"),
        (
            "PATCH",
            "/agents/{l1}",
            {"capacity": 3, "skills": ["nope"]},
            "routing_unknown_department",
        ),
        ("PATCH", "/agents/nobody", {"capacity": 3}, "routing_agent_not_found"),
        ("PATCH", "/queues/general_l1", {"default_handle_minutes": 0}, "invalid_request"),
        ("PATCH", "/queues/general_l1", {"colour": "red"}, "invalid_request"),
        ("PATCH", "/queues/sales_l1", {"name": "销售"}, "routing_queue_not_found"),
        ("PUT", "/category-map/card_invalid", {"queue": "sales_l1"}, "routing_queue_not_found"),
        ("PUT", "/category-map/lottery", {"queue": "general_l1"}, "unknown_category"),
        (
            "PUT",
            "/customers/{customer}",
            {"vip": True, "dedicated_agent_id": "ghost"},
            "routing_agent_not_found",
        ),
        ("PUT", "/customers/ghost", {"vip": True}, "routing_customer_not_found"),
    ],
)
def test_invalid_configuration_is_refused_with_a_json_4xx_and_changes_nothing(
    method: str,
    path: str,
    body: dict[str, Any],
    code: str,
    client: TestClient,
    team: StaffTeam,
    desk: Desk,
    database: Database,
) -> None:
    customer_id = desk.customer()
    headers = login_headers(client, "admin")
    before = _snapshot(database)
    url = ADMIN + path.format(l1=team.l1.id, customer=customer_id)
    response = client.request(method, url, json=body, headers=headers)
    assert 400 <= response.status_code < 500, response.text
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["message"]
    assert _snapshot(database) == before


@pytest.mark.parametrize("username", ["l1", "l2", "finance", "security"])
def test_staff_without_routing_manage_are_refused_and_nothing_changes(
    username: str, client: TestClient, team: StaffTeam, desk: Desk, database: Database
) -> None:
    customer_id = desk.customer()
    headers = login_headers(client, username)
    before = _snapshot(database)
    for method, path, body in [
        ("GET", "/queues", None),
        ("PATCH", "/queues/general_l1", {"name": "改名"}),
        ("PUT", "/category-map/card_invalid", {"queue": "general_l1"}),
        ("PATCH", f"/agents/{team.l1.id}", {"capacity": 50}),
        ("PUT", f"/customers/{customer_id}", {"vip": True, "dedicated_agent_id": team.l1.id}),
        ("GET", "/board", None),
    ]:
        response = client.request(method, ADMIN + path, json=body, headers=headers)
        assert response.status_code == 403, (path, response.text)
        assert response.json()["error"]["code"] == "permission_denied"
    assert _snapshot(database) == before


def test_an_agent_sets_their_own_presence_and_a_bad_value_is_refused(
    client: TestClient, team: StaffTeam, database: Database
) -> None:
    headers = login_headers(client, "l1")
    assert client.get("/api/v1/agents/me/presence", headers=headers).json()["presence"] == "offline"
    bad = client.put("/api/v1/agents/me/presence", json={"presence": "busy"}, headers=headers)
    assert bad.status_code == 422
    assert bad.json()["error"]["code"] == "routing_unknown_presence"
    with database.reading() as db:
        assert db.get(AgentProfile, team.l1.id) is None
    ok = client.put("/api/v1/agents/me/presence", json={"presence": "online"}, headers=headers)
    assert ok.status_code == 200, ok.text
    assert ok.json()["presence"] == "online"
    with database.reading() as db:
        profile = db.get(AgentProfile, team.l1.id)
        assert profile is not None and profile.presence == "online"
        audit = db.scalar(select(AuditEntry).where(AuditEntry.action == "routing.presence"))
        assert audit is not None and audit.after == {"presence": "online"}


def test_the_board_shows_waiting_work_and_agents_online_with_their_load(
    client: TestClient, team: StaffTeam, desk: Desk
) -> None:
    agent = desk.agent("solo", capacity=1)
    desk.waiting()
    desk.waiting()
    desk.waiting(category="refund_request")
    board = {
        q["key"]: q
        for q in client.get(f"{ADMIN}/board", headers=login_headers(client, "supervisor")).json()
    }
    general = board["general_l1"]
    assert general["waiting"] == 1
    assert general["agents_online"] == 1
    assert general["slots"] == 1 and general["busy_slots"] == 1
    assert general["agents"] == [
        {
            "agent_id": agent.id,
            "name": "solo",
            "load": 1,
            "capacity": 1,
            "assignments_last_hour": 1,
        }
    ]
    assert board["finance_l1"]["waiting"] == 1
    assert board["finance_l1"]["agents_online"] == 0
