"""/api/v1/incidents: supervisors list, read, acknowledge and resolve; agents see nothing."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.factories import StaffTeam, login_headers
from tests.proactive.incidents.helpers import open_supplier_incident
from yiwen.auth.audit import Actor, AuditEntry
from yiwen.core.clock import FixedClock
from yiwen.core.db import Database
from yiwen.notify.models import OutboxEntry
from yiwen.proactive.announcements.models import Announcement
from yiwen.proactive.announcements.service import NewAnnouncement, publish_announcement
from yiwen.proactive.incidents.models import Incident
from yiwen.store.protocol import StoreEvent


def _open(database: Database, clock: FixedClock) -> str:
    now = clock.now()
    events = [
        StoreEvent(
            kind="upstream_push",
            event_id=f"PU{i}",
            order_no=f"ORDER{i:011d}X",
            occurred_at=now - timedelta(minutes=3),
            status="failed",
            finished_at=now - timedelta(minutes=2),
            supplier="fengniao",
            supplier_name="蜂鸟卡业",
            product_id="qb-100-card",
            product_name="腾讯Q币 100元 卡密",
            contact=f"1380000000{i}",
            order_status="delivery_failed",
        )
        for i in range(3)
    ]
    return open_supplier_incident(database, clock, events=events)


def test_a_supervisor_reads_acknowledges_and_resolves_an_incident_with_its_orders(
    client: TestClient, database: Database, clock: FixedClock, team: StaffTeam
) -> None:
    incident_id = _open(database, clock)
    headers = login_headers(client, "supervisor")
    page = client.get("/api/v1/incidents?status=open", headers=headers).json()
    assert [item["id"] for item in page["items"]] == [incident_id]
    detail = client.get(f"/api/v1/incidents/{incident_id}", headers=headers).json()
    assert "蜂鸟卡业" in detail["title"] and detail["affected_order_count"] == 3
    assert {o["contact"] for o in detail["affected_orders"]} == {
        "13800000000",
        "13800000001",
        "13800000002",
    }
    assert [e["kind"] for e in detail["timeline"]] == ["detected", "orders"]
    assert detail["suggested_action"].startswith("联系蜂鸟卡业")
    assert detail["announcements"] == []

    first = client.post(f"/api/v1/incidents/{incident_id}/acknowledge", headers=headers)
    again = client.post(f"/api/v1/incidents/{incident_id}/acknowledge", headers=headers)
    assert first.json()["status"] == again.json()["status"] == "acknowledged"
    resolved = client.post(
        f"/api/v1/incidents/{incident_id}/resolve", json={"note": "上游已恢复"}, headers=headers
    )
    assert resolved.json()["status"] == "resolved"
    late = client.post(f"/api/v1/incidents/{incident_id}/acknowledge", headers=headers)
    assert late.status_code == 409 and late.json()["error"]["code"] == "incident_already_resolved"
    with database.reading() as db:
        actions = list(
            db.scalars(
                select(AuditEntry.action)
                .where(AuditEntry.target_id == incident_id)
                .order_by(AuditEntry.at, AuditEntry.id)
            )
        )
        # The webhook/realtime event is emitted; webhooks are queued only for endpoints.
        assert (
            db.scalar(select(OutboxEntry.id).where(OutboxEntry.event == "incident.opened")) is None
        )
    assert sorted(actions) == sorted(
        ["incident.open", "incident.orders", "incident.acknowledge", "incident.resolve"]
    )
    timeline = client.get(f"/api/v1/incidents/{incident_id}", headers=headers).json()["timeline"]
    assert [e["kind"] for e in timeline][-2:] == ["acknowledged", "resolved"]
    assert timeline[-1]["actor_name"] == team.supervisor.display_name


def test_an_agent_may_not_see_or_change_incidents(
    client: TestClient, database: Database, clock: FixedClock, team: StaffTeam
) -> None:
    incident_id = _open(database, clock)
    headers = login_headers(client, "l1")
    assert client.get("/api/v1/incidents", headers=headers).status_code == 403
    refused = client.post(f"/api/v1/incidents/{incident_id}/resolve", json={}, headers=headers)
    assert refused.status_code == 403
    with database.reading() as db:
        assert db.get_one(Incident, incident_id).status == "open"


def test_bad_input_is_a_4xx_json_error(
    client: TestClient, database: Database, clock: FixedClock, team: StaffTeam
) -> None:
    headers = login_headers(client, "supervisor")
    assert client.get("/api/v1/incidents/nope", headers=headers).status_code == 404
    bad = client.get("/api/v1/incidents?status=weird", headers=headers)
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "incident_status_invalid"
    incident_id = _open(database, clock)
    long = client.post(
        f"/api/v1/incidents/{incident_id}/resolve", json={"note": "x" * 3000}, headers=headers
    )
    assert long.status_code == 422


def _announce(database: Database, clock: FixedClock, incident_id: str | None, title: str) -> str:
    with database.transaction() as db:
        return publish_announcement(
            db,
            clock,
            NewAnnouncement(
                title=title,
                body="蜂鸟卡业充值延迟，预计30分钟内恢复",
                scope="supplier",
                scope_value="蜂鸟卡业",
                incident_id=incident_id,
            ),
            actor=Actor.system(),
        ).id


def _announcement(database: Database, announcement_id: str) -> tuple[str, str, str | None]:
    with database.reading() as db:
        row = db.get(Announcement, announcement_id)
        assert row is not None
        return row.status, row.resolution_text, row.work_due


def test_resolving_an_incident_closes_the_announcements_published_from_it(
    client: TestClient, database: Database, clock: FixedClock, team: StaffTeam
) -> None:
    incident_id = _open(database, clock)
    linked = _announce(database, clock, incident_id, "蜂鸟卡业充值延迟")
    unrelated = _announce(database, clock, None, "支付宝维护通知")
    headers = login_headers(client, "supervisor")
    clock.advance(timedelta(minutes=40))
    resolved = client.post(
        f"/api/v1/incidents/{incident_id}/resolve",
        json={"note": "上游已恢复，延迟订单已补充"},
        headers=headers,
    )
    assert resolved.status_code == 200, resolved.text
    # Its banner goes, and its close follow-up (re-push, tell the customers) is due.
    assert _announcement(database, linked) == ("closed", "上游已恢复，延迟订单已补充", "close")
    assert _announcement(database, unrelated)[0] == "active"
    banners = client.get("/api/v1/public/announcements").json()
    assert [a["title"] for a in banners["items"]] == ["支付宝维护通知"]
    with database.reading() as db:
        closed_by = db.scalar(
            select(AuditEntry.actor_id).where(
                AuditEntry.action == "announcement.close", AuditEntry.target_id == linked
            )
        )
    assert closed_by == team.supervisor.id


def test_a_supervisor_may_resolve_and_keep_the_announcement_showing(
    client: TestClient, database: Database, clock: FixedClock, team: StaffTeam
) -> None:
    incident_id = _open(database, clock)
    linked = _announce(database, clock, incident_id, "蜂鸟卡业充值延迟")
    headers = login_headers(client, "supervisor")
    resolved = client.post(
        f"/api/v1/incidents/{incident_id}/resolve",
        json={"note": "检测已恢复，待人工确认", "close_announcements": False},
        headers=headers,
    )
    assert resolved.status_code == 200, resolved.text
    assert _announcement(database, linked)[:2] == ("active", "")
