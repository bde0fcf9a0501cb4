"""Notices to the customers of an announcement's affected orders: once each, opt-out kept."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.factories import StaffTeam, login_headers
from tests.proactive.announcements.conftest import (
    SUPPLIER,
    notices,
    open_orders,
    outbox_keys,
    qq_buyers,
    system_messages,
)
from yiwen.auth.audit import Actor, AuditEntry
from yiwen.core.clock import FixedClock
from yiwen.core.db import Database
from yiwen.proactive.announcements import notices as notice_service
from yiwen.proactive.announcements import service
from yiwen.proactive.announcements.models import Announcement
from yiwen.proactive.announcements.recipients import set_opt_out
from yiwen.store.connectors.demo.connector import DemoStoreConnector


def publish(database: Database, clock: FixedClock, team: StaffTeam) -> str:
    with database.transaction() as db:
        row = service.publish_announcement(
            db,
            clock,
            service.NewAnnouncement(
                title=f"{SUPPLIER}充值延迟",
                body="上游充值通道故障，预计30分钟内恢复",
                scope="supplier",
                scope_value=SUPPLIER,
            ),
            actor=Actor.staff(team.supervisor),
        )
        return row.id


def send(
    database: Database, clock: FixedClock, demo: DemoStoreConnector, announcement_id: str
) -> None:
    with database.transaction() as db:
        row = db.get_one(Announcement, announcement_id)
        service.request_notices(db, clock, row, actor=Actor.system())
        notice_service.send_notices(db, clock, demo, row)


@pytest.mark.usefixtures("push_qq")
def test_two_concurrent_sends_and_a_rerun_tell_each_affected_customer_once(
    database: Database, clock: FixedClock, demo: DemoStoreConnector, team: StaffTeam
) -> None:
    buyers = qq_buyers(database, clock, demo, 3)
    announcement_id = publish(database, clock, team)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def click() -> None:
        try:
            barrier.wait()
            send(database, clock, demo, announcement_id)
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=click) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with database.transaction() as db:  # the worker's job after a restart
        db.get_one(Announcement, announcement_id).work_due = "notify"
        notice_service.run_announcement_work(db, clock, demo)

    rows = notices(database, announcement_id)
    per_customer = Counter(row.customer_id for row in rows)
    assert per_customer and set(per_customer.values()) == {1}
    affected = {o.order_no for o in open_orders(demo, clock)}
    listed = [o for row in rows for o in row.order_nos]
    assert sorted(listed) == sorted(affected)  # every affected order in exactly one notice
    for buyer in buyers:
        [mine] = [row for row in rows if row.customer_id == buyer.customer_id]
        assert mine.status == "sent" and mine.channel == "qq"
        assert set(buyer.order_nos) <= set(mine.order_nos)
        [text] = system_messages(database, buyer.conversation_id)
        assert "预计30分钟内恢复" in text and buyer.order_nos[0] in text
    keys = outbox_keys(database, announcement_id)
    assert len(keys) == len(set(keys))
    assert sum(k.endswith(":channel") for k in keys) == len(buyers)


@pytest.mark.usefixtures("push_qq")
def test_a_customer_who_opted_out_gets_no_notice_and_is_counted(
    database: Database, clock: FixedClock, demo: DemoStoreConnector, team: StaffTeam
) -> None:
    quiet, told = qq_buyers(database, clock, demo, 2)
    with database.transaction() as db:
        set_opt_out(
            db, clock, quiet.customer_id, opted_out=True, source="api", actor=Actor.system()
        )
    announcement_id = publish(database, clock, team)
    send(database, clock, demo, announcement_id)

    status = {row.customer_id: row.status for row in notices(database, announcement_id)}
    assert status[quiet.customer_id] == "skipped_opt_out"
    assert status[told.customer_id] == "sent"
    assert system_messages(database, quiet.conversation_id) == []
    assert not [k for k in outbox_keys(database, announcement_id) if quiet.customer_id in k]
    with database.reading() as db:
        counts = service.notice_counts(db, announcement_id)
    assert counts.skipped_opt_out == 1
    assert counts.sent == Counter(status.values())["sent"]


def test_replying_unsubscribe_in_the_widget_opts_out_without_a_bot_answer(
    client: TestClient, database: Database
) -> None:
    started = client.post("/api/v1/customer/conversations", json={})
    assert started.status_code == 201, started.text
    headers = {"X-Conversation-Token": started.json()["token"]}
    conversation_id = started.json()["conversation"]["id"]
    sent = client.post(
        f"/api/v1/customer/conversations/{conversation_id}/messages",
        json={"client_msg_id": "u1", "body": "退订"},
        headers=headers,
    )
    assert sent.status_code == 201, sent.text
    preference = client.get("/api/v1/customer/notice-preferences", headers=headers)
    assert preference.json() == {"proactive_notices": False}
    page = client.get(f"/api/v1/customer/conversations/{conversation_id}/messages", headers=headers)
    kinds = [m["sender_type"] for m in page.json()["items"]]
    assert kinds[-2:] == ["customer", "system"]  # the confirmation; the bot stays silent
    assert "退订" in page.json()["items"][-1]["body"]

    back = client.put(
        "/api/v1/customer/notice-preferences", json={"proactive_notices": True}, headers=headers
    )
    assert back.status_code == 200
    assert client.get("/api/v1/customer/notice-preferences", headers=headers).json() == {
        "proactive_notices": True
    }
    with database.reading() as db:
        actions = set(
            db.scalars(select(AuditEntry.action).where(AuditEntry.target_type == "customer"))
        )
    assert {"customer.notice_opt_out", "customer.notice_opt_in"} <= actions


def test_sending_notices_needs_the_permission_and_clicking_twice_changes_nothing(
    client: TestClient,
    database: Database,
    clock: FixedClock,
    demo: DemoStoreConnector,
    team: StaffTeam,
) -> None:
    boss = login_headers(client, "supervisor")
    agent = login_headers(client, "l1")
    form = {
        "title": f"{SUPPLIER}充值延迟",
        "body": "预计30分钟内恢复",
        "scope": "supplier",
        "scope_value": SUPPLIER,
    }
    refused = client.post("/api/v1/announcements", json=form, headers=agent)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "permission_denied"
    created = client.post("/api/v1/announcements", json=form, headers=boss)
    assert created.status_code == 201, created.text
    announcement_id = created.json()["id"]

    assert (
        client.post(f"/api/v1/announcements/{announcement_id}/notices", headers=agent).status_code
        == 403
    )
    assert notices(database, announcement_id) == []
    first = client.post(f"/api/v1/announcements/{announcement_id}/notices", headers=boss)
    second = client.post(f"/api/v1/announcements/{announcement_id}/notices", headers=boss)
    assert first.status_code == second.status_code == 200, first.text
    assert first.json()["counts"] == second.json()["counts"]
    total = sum(first.json()["counts"][k] for k in ("sent", "skipped_opt_out", "unreachable"))
    assert total == len(notices(database, announcement_id)) > 0
    with database.reading() as db:
        audited = list(
            db.scalars(select(AuditEntry.action).where(AuditEntry.target_id == announcement_id))
        )
    assert sorted(audited) == ["announcement.notify", "announcement.publish"]


@pytest.mark.parametrize(
    ("form", "code"),
    [
        ({"title": "t", "body": "b", "scope": "galaxy"}, "announcement_scope_unknown"),
        ({"title": "t", "body": "b", "scope": "supplier"}, "announcement_scope_value_missing"),
        ({"title": " ", "body": "b"}, "announcement_title_missing"),
        (
            {
                "title": "t",
                "body": "b",
                "starts_at": "2026-11-22T12:00",
                "ends_at": "2026-11-22T11:00",
            },
            "announcement_ends_before_start",
        ),
        (
            {"title": "t", "body": "b", "scope": "category", "scope_value": "x"},
            "announcement_category_unknown",
        ),
    ],
)
def test_a_bad_announcement_is_refused_in_chinese_and_nothing_is_stored(
    client: TestClient, database: Database, team: StaffTeam, form: dict[str, str], code: str
) -> None:
    response = client.post(
        "/api/v1/announcements", json=form, headers=login_headers(client, "supervisor")
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == code
    assert any("\u4e00" <= ch <= "\u9fff" for ch in response.json()["error"]["message"])
    with database.reading() as db:
        assert db.scalar(select(Announcement.id)) is None
