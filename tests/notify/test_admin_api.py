"""The notify admin API: webhooks, the delivery log, dead letters and retry."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.factories import StaffTeam, login_headers
from tests.notify.conftest import add_webhook, make_worker, outbox_rows
from tests.notify.peers import HttpPeer
from yiwen.auth.audit import AuditEntry
from yiwen.core.clock import FixedClock
from yiwen.core.db import Database
from yiwen.core.events import emit
from yiwen.core.settings import Settings
from yiwen.notify.models import WebhookEndpoint

BASE = "/api/v1/admin/notify"


def webhooks_in(database: Database) -> list[str]:
    with database.reading() as db:
        return list(db.scalars(select(WebhookEndpoint.url)))


def test_an_agent_may_not_configure_webhooks_and_nothing_is_created(
    client: TestClient, team: StaffTeam, database: Database
) -> None:
    headers = login_headers(client, "l1")
    response = client.post(
        f"{BASE}/webhooks", json={"url": "https://hooks.example.com/x"}, headers=headers
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert client.get(f"{BASE}/deliveries", headers=headers).status_code == 403
    assert webhooks_in(database) == []


def test_a_supervisor_configures_a_webhook_and_it_is_audited_without_its_secret(
    client: TestClient, team: StaffTeam, database: Database, webhook_peer: HttpPeer
) -> None:
    headers = login_headers(client, "supervisor")
    response = client.post(
        f"{BASE}/webhooks",
        json={"url": webhook_peer.url, "events": ["ticket.*", "sla.breached"]},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert len(created["secret"]) >= 32
    assert created["events"] == ["ticket.*", "sla.breached"]
    listed = client.get(f"{BASE}/webhooks", headers=headers).json()["items"]
    assert [item["id"] for item in listed] == [created["id"]]
    assert "secret" not in listed[0]
    patched = client.patch(
        f"{BASE}/webhooks/{created['id']}", json={"active": False}, headers=headers
    )
    assert patched.json()["active"] is False
    with database.reading() as db:
        entries = [
            (entry.action, str(entry.before), str(entry.after))
            for entry in db.scalars(select(AuditEntry).where(AuditEntry.target_id == created["id"]))
        ]
    assert sorted(action for action, _, _ in entries) == [
        "notify.webhook.create",
        "notify.webhook.update",
    ]
    assert all(created["secret"] not in before + after for _, before, after in entries)
    deleted = client.delete(f"{BASE}/webhooks/{created['id']}", headers=headers)
    assert deleted.status_code == 204
    assert webhooks_in(database) == []


def test_a_loopback_url_is_refused_when_private_addresses_are_not_allowed(
    client: TestClient, team: StaffTeam, database: Database, settings: Settings
) -> None:
    client.app.state.settings = settings.model_copy(update={"webhook_allow_private": False})  # type: ignore[attr-defined]
    headers = login_headers(client, "admin")
    response = client.post(
        f"{BASE}/webhooks", json={"url": "http://127.0.0.1:8000/hook"}, headers=headers
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "webhook_url_private"
    assert "内网" in response.json()["error"]["message"]
    assert webhooks_in(database) == []


def test_bad_event_filters_are_refused(client: TestClient, team: StaffTeam) -> None:
    headers = login_headers(client, "admin")
    response = client.post(
        f"{BASE}/webhooks",
        json={"url": "https://hooks.example.com/", "events": ["Ticket Created"]},
        headers=headers,
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "webhook_events_invalid"


def test_dead_letters_are_listed_page_by_page_and_retried_from_the_api(
    client: TestClient,
    team: StaffTeam,
    database: Database,
    clock: FixedClock,
    settings: Settings,
    webhook_peer: HttpPeer,
) -> None:
    add_webhook(database, clock, webhook_peer.url, secret=webhook_peer.secret, events=[])
    for number in range(3):
        with database.transaction() as db:
            emit(db, "ticket.reopened", ticket_id=f"t{number}")
    webhook_peer.statuses.extend([410, 410, 410])
    make_worker(database, settings, clock).run_until_idle()
    headers = login_headers(client, "supervisor")

    first = client.get(f"{BASE}/dead-letters", params={"limit": 2}, headers=headers).json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    second = client.get(
        f"{BASE}/dead-letters", params={"limit": 2, "cursor": first["next_cursor"]}, headers=headers
    ).json()
    assert len(second["items"]) == 1 and second["next_cursor"] is None
    ids = {item["id"] for item in first["items"] + second["items"]}
    assert len(ids) == 3

    target = first["items"][0]["id"]
    retried = client.post(f"{BASE}/deliveries/{target}/retry", headers=headers)
    assert retried.status_code == 200
    assert retried.json()["status"] == "pending"
    again = client.post(f"{BASE}/deliveries/{target}/retry", headers=headers)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "delivery_not_retriable"
    make_worker(database, settings, clock).run_until_idle()
    statuses = sorted(row.status for row in outbox_rows(database))
    assert statuses == ["dead", "dead", "sent"]
    sent = client.get(f"{BASE}/deliveries", params={"status": "sent"}, headers=headers).json()
    assert [item["id"] for item in sent["items"]] == [target]
    missing = client.post(f"{BASE}/deliveries/{'0' * 32}/retry", headers=headers)
    assert missing.status_code == 404
