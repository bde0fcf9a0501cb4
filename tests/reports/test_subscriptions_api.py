"""Report subscriptions over HTTP: supervisors manage them, every change is audited,
"send now" mails a preview without using up the scheduled period."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.factories import StaffTeam
from tests.notify.peers import SmtpPeer
from tests.reports.conftest import Seats, audit_entries, report_worker
from yiwen.core.clock import FixedClock
from yiwen.core.db import Database
from yiwen.core.settings import Settings
from yiwen.reports.models import ReportSubscription

BASE = "/api/v1/reports/subscriptions"
NEW: dict[str, object] = {
    "name": "每日运营",
    "recipients": ["Boss@Shop.example", "boss@shop.example", "ops@shop.example"],
    "frequency": "daily",
    "hour": 9,
}


def _count(database: Database) -> int:
    with database.reading() as db:
        return db.scalar(select(func.count()).select_from(ReportSubscription)) or 0


def test_a_supervisor_creates_lists_changes_and_deletes_a_subscription(
    client: TestClient, seat: Seats, database: Database, team: StaffTeam
) -> None:
    headers = seat("supervisor")
    created = client.post(BASE, json=NEW, headers=headers)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["recipients"] == ["boss@shop.example", "ops@shop.example"]
    assert (body["timezone"], body["hour"], body["active"]) == ("Asia/Shanghai", 9, True)
    listed = client.get(BASE, headers=headers).json()["items"]
    assert [s["id"] for s in listed] == [body["id"]]
    changed = client.put(
        f"{BASE}/{body['id']}",
        json={**NEW, "frequency": "weekly", "agent_id": team.l1.id, "active": False},
        headers=headers,
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["frequency"], changed.json()["agent_id"]) == ("weekly", team.l1.id)
    assert client.delete(f"{BASE}/{body['id']}", headers=headers).status_code == 204
    assert client.get(f"{BASE}/{body['id']}", headers=headers).status_code == 404
    actions = [
        e.action
        for name in ("create", "update", "delete")
        for e in audit_entries(database, f"report.subscription.{name}")
    ]
    assert actions == [
        "report.subscription.create",
        "report.subscription.update",
        "report.subscription.delete",
    ]


def test_agents_cannot_manage_subscriptions(
    client: TestClient, seat: Seats, database: Database
) -> None:
    assert client.get(BASE, headers=seat("l1")).status_code == 403
    assert client.post(BASE, json=NEW, headers=seat("l2")).status_code == 403
    assert _count(database) == 0


def test_bad_subscriptions_are_refused_and_nothing_is_stored(
    client: TestClient, seat: Seats, database: Database
) -> None:
    headers = seat("supervisor")
    cases: list[tuple[dict[str, object], str]] = [
        ({"recipients": ["not-an-address"]}, "report_invalid_recipient"),
        ({"recipients": ["a@b.example\r\nBcc: x@y.example"]}, "report_invalid_recipient"),
        ({"timezone": "Mars/Olympus"}, "report_invalid_timezone"),
        ({"agent_id": "nobody"}, "report_unknown_agent"),
        ({"hour": 24}, "invalid_request"),
        ({"frequency": "hourly"}, "invalid_request"),
        ({"recipients": []}, "invalid_request"),
    ]
    for change, code in cases:
        response = client.post(BASE, json={**NEW, **change}, headers=headers)
        assert response.status_code == 422, (change, response.text)
        assert response.json()["error"]["code"] == code
    assert _count(database) == 0


def test_send_now_mails_a_preview_and_leaves_the_schedule_alone(
    client: TestClient,
    seat: Seats,
    database: Database,
    settings: Settings,
    clock: FixedClock,
    mailbox: SmtpPeer,
) -> None:
    headers = seat("supervisor")
    subscription = client.post(BASE, json=NEW, headers=headers).json()
    sent = client.post(f"{BASE}/{subscription['id']}/send-now", headers=headers)
    assert sent.status_code == 202, sent.text
    assert sent.json() == {"from": "2026-11-21", "to": "2026-11-21", "recipients": 2}
    report_worker(database, settings, clock).run_until_idle()
    subjects = sorted(m["Subject"] for _s, _r, m in mailbox.mails)
    assert subjects == ["[预览] 每日运营 · 客服日报 2026-11-21"] * 2
    assert (
        client.get(f"{BASE}/{subscription['id']}", headers=headers).json()["last_period_first"]
        is None
    )
    assert audit_entries(database, "report.subscription.send_now")
