"""The retention policy: off on a fresh install, validated, admin-only, audited."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.factories import StaffTeam, login_headers
from tests.retention.conftest import ADMIN_API, admin_headers, audit_of, customer_writes, settle
from yiwen.auth.audit import Actor
from yiwen.conversations.models import Message
from yiwen.core.clock import FixedClock
from yiwen.core.db import Database
from yiwen.core.settings import Settings
from yiwen.retention.service import run_retention


def test_a_fresh_install_keeps_everything(
    client: TestClient, team: StaffTeam, database: Database, clock: FixedClock, settings: Settings
) -> None:
    thread = customer_writes(client, "卡密没收到，订单 K7Q2M9X4T1B8")
    settle(database, clock, team, thread)
    clock.advance(timedelta(days=4000))

    policy = client.get(ADMIN_API, headers=admin_headers(client)).json()
    assert policy["enabled"] is False
    report = run_retention(database, clock, settings, actor=Actor.system())

    assert report.ran is False and report.conversations == 0
    with database.reading() as db:
        assert db.scalar(select(func.count(Message.id))) == 2
    assert audit_of(database, "retention.*") == []


def test_out_of_range_periods_are_refused_in_chinese_and_nothing_is_stored(
    client: TestClient, team: StaffTeam
) -> None:
    headers = admin_headers(client)
    too_short = client.put(
        ADMIN_API, json={"enabled": True, "archive_after_days": 7}, headers=headers
    )
    assert too_short.status_code == 422
    assert too_short.json()["error"]["code"] == "retention_archive_days_out_of_range"
    assert too_short.json()["error"]["message"] == "归档期限须在 30 到 3650 天之间"

    bad_purge = client.put(
        ADMIN_API,
        json={"enabled": True, "archive_after_days": 90, "purge_after_days": 5},
        headers=headers,
    )
    assert bad_purge.status_code == 422
    assert bad_purge.json()["error"]["code"] == "retention_purge_days_out_of_range"

    not_a_number = client.put(
        ADMIN_API, json={"enabled": True, "archive_after_days": "一年"}, headers=headers
    )
    assert not_a_number.status_code == 422
    assert not_a_number.json()["error"]["code"] == "invalid_request"

    stored = client.get(ADMIN_API, headers=headers).json()
    assert stored["enabled"] is False and stored["archive_after_days"] == 365


def test_agents_and_supervisors_cannot_change_retention(
    client: TestClient, team: StaffTeam, database: Database
) -> None:
    agent = login_headers(client, "l1")
    assert client.get(ADMIN_API, headers=agent).status_code == 403
    refused = client.put(ADMIN_API, json={"enabled": True, "archive_after_days": 30}, headers=agent)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "permission_denied"
    supervisor = login_headers(client, "supervisor")
    assert (
        client.put(
            ADMIN_API, json={"enabled": True, "archive_after_days": 30}, headers=supervisor
        ).status_code
        == 403
    )
    assert client.post(f"{ADMIN_API}/preview", headers=agent).status_code == 403

    assert client.get(ADMIN_API, headers=admin_headers(client)).json()["enabled"] is False
    assert audit_of(database, "retention.policy_updated") == []


def test_a_policy_change_is_audited_with_before_and_after(
    client: TestClient, team: StaffTeam, database: Database
) -> None:
    headers = admin_headers(client)
    response = client.put(
        ADMIN_API,
        json={"enabled": True, "archive_after_days": 400, "purge_after_days": 1000},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    assert response.json()["archive_after_days"] == 400

    entries = audit_of(database, "retention.policy_updated")
    assert len(entries) == 1
    assert entries[0]["actor_id"] == team.admin.id
    assert entries[0]["before"] == {
        "enabled": False,
        "archive_after_days": 365,
        "purge_after_days": None,
        "batch_size": 200,
    }
    assert entries[0]["after"] == {
        "enabled": True,
        "archive_after_days": 400,
        "purge_after_days": 1000,
        "batch_size": 200,
    }
