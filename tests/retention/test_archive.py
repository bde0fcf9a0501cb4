"""Archiving old closed conversations: what moves, what stays, and that it stays correct.

Runs on SQLite and, with YIWEN_TEST_DB=postgresql, on PostgreSQL; files are real
files under the test's data directory.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.factories import StaffTeam, login_headers
from tests.retention.conftest import (
    ADMIN_API,
    BASE,
    PNG,
    admin_headers,
    audit_of,
    customer_writes,
    enable_policy,
    settle,
)
from yiwen.attachments.models import Attachment
from yiwen.auth.audit import Actor, AuditEntry
from yiwen.channels.accounts import create_account
from yiwen.channels.inbound import receive
from yiwen.channels.models import ChannelAccount
from yiwen.channels.protocol import InboundMessage
from yiwen.conversations.models import Conversation, Message
from yiwen.core.clock import FixedClock
from yiwen.core.db import Database
from yiwen.core.settings import Settings
from yiwen.retention.files import archive_store, live_store
from yiwen.retention.models import ArchivedAttachment, ConversationArchive
from yiwen.retention.policy import Policy, update_policy
from yiwen.retention.service import run_retention
from yiwen.store.connectors.demo.connector import DemoStoreConnector
from yiwen.tickets.models import CsatRating, Ticket, TicketEvent
from yiwen.wiring import PERIODIC_JOBS
from yiwen.worker.jobs import get_lease, load_jobs, run_job_if_due


def index_rows(database: Database, conversation_id: str) -> int:
    """Search-index rows of a conversation's messages (read straight from the index table)."""
    table = "search_fts" if database.dialect == "sqlite" else "search_documents"
    with database.reading() as db:
        return int(
            db.scalar(
                sa.text(
                    f"SELECT count(*) FROM {table} WHERE kind = 'message' AND conversation_id = :c"
                ),
                {"c": conversation_id},
            )
            or 0
        )


def messages_of(database: Database, conversation_id: str) -> int:
    with database.reading() as db:
        return int(
            db.scalar(
                select(func.count(Message.id)).where(Message.conversation_id == conversation_id)
            )
            or 0
        )


def kpis(client: TestClient, headers: dict[str, str]) -> dict[str, object]:
    response = client.get(
        "/api/v1/kpis",
        params={"from": "2026-11-20", "to": "2026-11-24", "group_by": "agent"},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def search_hits(client: TestClient, headers: dict[str, str], q: str) -> list[str]:
    response = client.get("/api/v1/search", params={"q": q}, headers=headers)
    assert response.status_code == 200, response.text
    return [hit["conversation_id"] for hit in response.json()["items"]]


def test_archiving_moves_messages_and_files_and_keeps_tickets_audit_and_kpis(
    client: TestClient, team: StaffTeam, database: Database, clock: FixedClock, settings: Settings
) -> None:
    old = customer_writes(client, "王者荣耀点券没到账，订单 K7Q2M9X4T1B8", "截图在这", files=(PNG,))
    ticket_id = settle(database, clock, team, old)
    # A second case of the same period, still being worked on months later.
    ongoing = customer_writes(client, "王者荣耀月卡也没到")
    settle(database, clock, team, ongoing, close_ticket=False)
    clock.advance(timedelta(days=200))
    admin = admin_headers(client)
    staff = login_headers(client, "l1")
    kpis_before = kpis(client, admin)
    totals = kpis_before["totals"]
    assert isinstance(totals, dict)
    assert totals["tickets_created"] == 2
    assert totals["first_response_time"]["n"] == 2
    assert totals["first_response_time"]["median_seconds"] == 7 * 60
    assert totals["csat"]["n"] == 2
    assert search_hits(client, staff, "王者荣耀") == [ongoing.conversation_id, old.conversation_id]
    with database.reading() as db:
        ticket_before = db.get(Ticket, ticket_id)
        assert ticket_before is not None
        ticket_facts = (
            ticket_before.status,
            ticket_before.first_response_at,
            ticket_before.resolved_at,
            ticket_before.closed_at,
        )
        events_before = list(
            db.scalars(select(TicketEvent.id).where(TicketEvent.ticket_id == ticket_id))
        )
        audit_before = set(db.scalars(select(AuditEntry.id)))
    enable_policy(client, admin, archive_after_days=180)

    report = run_retention(database, clock, settings, actor=Actor.system())

    assert (report.conversations, report.messages, report.attachments) == (1, 3, 1)
    assert report.attachment_bytes == len(PNG) and report.failed == []
    assert report.held["open_ticket"] == 1
    sha = hashlib.sha256(PNG).hexdigest()
    assert not live_store(settings).path_for(sha).exists()
    assert archive_store(settings).path_for(sha).read_bytes() == PNG
    assert messages_of(database, old.conversation_id) == 0
    assert messages_of(database, ongoing.conversation_id) == 2
    assert index_rows(database, old.conversation_id) == 0
    assert index_rows(database, ongoing.conversation_id) == 2
    with database.reading() as db:
        stub = db.get(Conversation, old.conversation_id)
        assert stub is not None and stub.archived_at == clock.now()
        assert stub.last_message_preview == ""
        assert db.get(Attachment, old.attachment_ids[0]) is None
        moved = db.get(ArchivedAttachment, old.attachment_ids[0])
        assert moved is not None and moved.sha256 == sha
        archive = db.get(ConversationArchive, old.conversation_id)
        assert archive is not None and archive.message_count == 3
        ticket = db.get(Ticket, ticket_id)
        assert ticket is not None and ticket.conversation_id == old.conversation_id
        assert (
            ticket.status,
            ticket.first_response_at,
            ticket.resolved_at,
            ticket.closed_at,
        ) == ticket_facts
        assert (
            list(db.scalars(select(TicketEvent.id).where(TicketEvent.ticket_id == ticket_id)))
            == events_before
        )
        assert db.scalar(select(CsatRating.score).where(CsatRating.ticket_id == ticket_id)) == 5
        assert audit_before <= set(db.scalars(select(AuditEntry.id)))
    assert kpis(client, admin) == kpis_before
    assert search_hits(client, staff, "王者荣耀") == [ongoing.conversation_id]

    batch = audit_of(database, "retention.archived")
    assert len(batch) == 1
    assert batch[0]["actor_type"] == "system"
    after = batch[0]["after"]
    assert isinstance(after, dict)
    assert after["conversation_ids"] == [old.conversation_id]
    assert after["messages"] == 3 and after["attachments"] == 1
    assert after["policy"] == {
        "enabled": True,
        "archive_after_days": 180,
        "purge_after_days": None,
        "batch_size": 200,
    }
    summary = audit_of(database, "retention.run")
    assert len(summary) == 1 and summary[0]["after"]["conversations"] == 1  # type: ignore[index]


def test_the_archived_transcript_keeps_every_message_and_file_and_its_reads_are_audited(
    client: TestClient, team: StaffTeam, database: Database, clock: FixedClock, settings: Settings
) -> None:
    old = customer_writes(client, "卡密无效，提示已使用", "这是截图", files=(PNG,))
    settle(database, clock, team, old)
    clock.advance(timedelta(days=200))
    admin = admin_headers(client)
    enable_policy(client, admin, archive_after_days=180)
    run_retention(database, clock, settings, actor=Actor.system())
    url = f"{ADMIN_API}/archives/{old.conversation_id}"

    assert client.get(url, headers=login_headers(client, "l1")).status_code == 403
    security = login_headers(client, "security")
    response = client.get(url, headers=security)

    assert response.status_code == 200, response.text
    transcript = response.json()
    assert [(m["sender_type"], m["body"]) for m in transcript["messages"]] == [
        ("customer", "卡密无效，提示已使用"),
        ("customer", "这是截图"),
        ("agent", "您好，已为您补发卡密，请查收。"),
    ]
    assert transcript["messages"][0]["attachment_ids"] == old.attachment_ids
    [attachment] = transcript["attachments"]
    assert attachment["sha256"] == hashlib.sha256(PNG).hexdigest()
    assert attachment["location"] == "archive"
    assert transcript["archive"]["message_count"] == 3
    file = client.get(f"{url}/attachments/{attachment['id']}", headers=security)
    assert file.status_code == 200 and file.content == PNG
    reads = [e for e in audit_of(database, "retention.*") if "read" in str(e["action"])]
    assert {entry["action"] for entry in reads} == {
        "retention.archive_read",
        "retention.archive_file_read",
    }
    assert all(
        entry["actor_id"] == team.security.id and entry["target_id"] == old.conversation_id
        for entry in reads
    )
    missing = client.get(f"{ADMIN_API}/archives/nope", headers=security)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "archive_not_found"


def test_an_archived_conversation_refuses_new_messages_and_points_staff_to_the_archive(
    client: TestClient, team: StaffTeam, database: Database, clock: FixedClock, settings: Settings
) -> None:
    old = customer_writes(client, "充值不到账")
    settle(database, clock, team, old)
    with database.transaction() as db:
        conversation = db.get(Conversation, old.conversation_id)
        assert conversation is not None
        conversation.status = "resolved"  # a resolved conversation would otherwise reopen
    clock.advance(timedelta(days=200))
    admin = admin_headers(client)
    enable_policy(client, admin, archive_after_days=180)
    run_retention(database, clock, settings, actor=Actor.system())

    refused = client.post(
        f"{BASE}/conversations/{old.conversation_id}/messages",
        json={"client_msg_id": "late", "body": "还在吗"},
        headers=old.auth,
    )
    assert refused.status_code == 410
    assert refused.json()["error"] == {
        "code": "conversation_archived",
        "message": "该会话已超过保留期限并归档，请发起新的会话",
    }
    staff = login_headers(client, "l1")
    read = client.get(f"/api/v1/conversations/{old.conversation_id}", headers=staff)
    assert read.status_code == 410
    assert read.json()["error"]["code"] == "conversation_archived_staff"
    reply = client.post(
        f"/api/v1/conversations/{old.conversation_id}/messages",
        json={"body": "您好"},
        headers=staff,
    )
    assert reply.status_code == 410
    assert messages_of(database, old.conversation_id) == 0
    with database.reading() as db:
        conversation = db.get(Conversation, old.conversation_id)
        assert conversation is not None and conversation.status == "resolved"


def test_a_second_run_changes_nothing_and_large_sets_go_in_batches(
    client: TestClient, team: StaffTeam, database: Database, clock: FixedClock, settings: Settings
) -> None:
    threads = [customer_writes(client, f"第{n}单没到账") for n in range(12)]
    for thread in threads:
        settle(database, clock, team, thread, score=None)
    clock.advance(timedelta(days=200))
    enable_policy(client, admin_headers(client), archive_after_days=180, batch_size=10)

    first = run_retention(database, clock, settings, actor=Actor.system())
    with database.reading() as db:
        stored = {
            a.conversation_id: a.transcript_sha256 for a in db.scalars(select(ConversationArchive))
        }
    second = run_retention(database, clock, settings, actor=Actor.system())

    assert first.conversations == 12 and first.messages == 24
    assert second.conversations == 0 and second.messages == 0
    assert len(audit_of(database, "retention.archived")) == 2  # 10 + 2, none for the re-run
    assert len(audit_of(database, "retention.run")) == 2
    with database.reading() as db:
        again = {
            a.conversation_id: a.transcript_sha256 for a in db.scalars(select(ConversationArchive))
        }
    assert again == stored and set(stored) == {t.conversation_id for t in threads}


def test_a_file_that_cannot_be_archived_keeps_its_whole_conversation_live(
    client: TestClient, team: StaffTeam, database: Database, clock: FixedClock, settings: Settings
) -> None:
    fine = customer_writes(client, "卡密没到", files=(PNG,))
    broken_bytes = PNG + b"broken"
    broken = customer_writes(client, "充值失败", "附件见上", files=(broken_bytes,))
    blocked_bytes = PNG + b"blocked"
    blocked = customer_writes(client, "退款没到", files=(blocked_bytes,))
    for thread in (fine, broken, blocked):
        settle(database, clock, team, thread)
    clock.advance(timedelta(days=200))
    # Real failures: one upload vanished from disk; for another, something already
    # occupies the place its archive copy must go.
    live_store(settings).path_for(hashlib.sha256(broken_bytes).hexdigest()).unlink()
    blocked_slot = archive_store(settings).path_for(hashlib.sha256(blocked_bytes).hexdigest())
    (blocked_slot / "occupied").mkdir(parents=True)
    enable_policy(client, admin_headers(client), archive_after_days=180)

    report = run_retention(database, clock, settings, actor=Actor.system())

    assert report.conversations == 1
    assert {f["conversation_id"] for f in report.failed} == {
        broken.conversation_id,
        blocked.conversation_id,
    }
    for thread, messages in ((broken, 3), (blocked, 2)):
        assert messages_of(database, thread.conversation_id) == messages
        assert index_rows(database, thread.conversation_id) == messages
        with database.reading() as db:
            conversation = db.get(Conversation, thread.conversation_id)
            assert conversation is not None and conversation.archived_at is None
            assert db.get(Attachment, thread.attachment_ids[0]) is not None
            assert db.get(ConversationArchive, thread.conversation_id) is None
            assert db.get(ArchivedAttachment, thread.attachment_ids[0]) is None
    assert live_store(settings).path_for(hashlib.sha256(blocked_bytes).hexdigest()).exists()
    [batch] = audit_of(database, "retention.archived")
    assert set(batch["after"]["failed"]) == {  # type: ignore[index]
        broken.conversation_id,
        blocked.conversation_id,
    }

    # Once the archive slot is free again, the next run takes the conversation whole.
    (blocked_slot / "occupied").rmdir()
    blocked_slot.rmdir()
    retry = run_retention(database, clock, settings, actor=Actor.system())
    assert retry.conversations == 1
    assert messages_of(database, blocked.conversation_id) == 0
    assert (
        archive_store(settings).path_for(hashlib.sha256(blocked_bytes).hexdigest()).read_bytes()
        == blocked_bytes
    )


def test_bytes_shared_with_a_live_upload_stay_in_the_live_store(
    client: TestClient, team: StaffTeam, database: Database, clock: FixedClock, settings: Settings
) -> None:
    old = customer_writes(client, "同一张截图", files=(PNG,))
    settle(database, clock, team, old)
    clock.advance(timedelta(days=200))
    recent = customer_writes(client, "又是同一张截图", files=(PNG,))
    enable_policy(client, admin_headers(client), archive_after_days=180)

    report = run_retention(database, clock, settings, actor=Actor.system())

    sha = hashlib.sha256(PNG).hexdigest()
    assert report.conversations == 1
    assert live_store(settings).path_for(sha).read_bytes() == PNG
    assert archive_store(settings).path_for(sha).read_bytes() == PNG
    download = client.get(f"{BASE}/attachments/{recent.attachment_ids[0]}", headers=recent.auth)
    assert download.status_code == 200 and download.content == PNG


def test_the_preview_counts_what_a_run_then_archives_and_changes_nothing(
    client: TestClient, team: StaffTeam, database: Database, clock: FixedClock, settings: Settings
) -> None:
    for n in range(3):
        settle(
            database,
            clock,
            team,
            customer_writes(client, f"订单{n}没到", files=(PNG + bytes([n]),)),
        )
    held = customer_writes(client, "还在处理")
    settle(database, clock, team, held, close_ticket=False)
    clock.advance(timedelta(days=200))
    admin = admin_headers(client)
    enable_policy(client, admin, archive_after_days=180)

    preview = client.post(f"{ADMIN_API}/preview", headers=admin)
    assert preview.status_code == 200, preview.text
    counted = preview.json()
    assert counted["dry_run"] is True
    assert (counted["conversations"], counted["messages"], counted["attachments"]) == (3, 6, 3)
    assert counted["attachment_bytes"] == 3 * (len(PNG) + 1)
    assert counted["held"]["open_ticket"] == 1
    # Another policy can be tried without saving it.
    longer = client.post(
        f"{ADMIN_API}/preview",
        json={"enabled": True, "archive_after_days": 365},
        headers=admin,
    )
    assert longer.json()["conversations"] == 0
    with database.reading() as db:
        assert db.scalar(select(func.count(ConversationArchive.conversation_id))) == 0
        assert db.scalar(select(func.count(Message.id))) == 8

    report = run_retention(database, clock, settings, actor=Actor.system())
    assert (report.conversations, report.messages, report.attachments) == (3, 6, 3)
    assert report.attachment_bytes == counted["attachment_bytes"]


def test_the_command_line_dry_run_counts_without_archiving(
    client: TestClient,
    team: StaffTeam,
    database: Database,
    database_url: str,
    clock: FixedClock,
    settings: Settings,
    tmp_path: Path,
) -> None:
    """`yiwen retention run --dry-run` in a real process against the test's database."""
    settle(database, clock, team, customer_writes(client, "卡密没收到"))
    # The CLI runs on the wall clock: make the case older than the longest period.
    with database.transaction() as db:
        db.execute(
            sa.update(Conversation).values(last_message_at=clock.now() - timedelta(days=4000))
        )
        db.execute(sa.update(Ticket).values(updated_at=clock.now() - timedelta(days=4000)))
    enable_policy(client, admin_headers(client), archive_after_days=3650)
    env = {
        **os.environ,
        "YIWEN_DATABASE_URL": database_url,
        "YIWEN_DATA_DIR": str(settings.data_dir),
    }
    command = [sys.executable, "-m", "yiwen.cli", "retention", "run", "--dry-run"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)

    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["dry_run"] is True
    assert (report["conversations"], report["messages"]) == (1, 2)
    with database.reading() as db:
        assert db.scalar(select(func.count(Message.id))) == 2


def test_the_daily_worker_job_applies_the_policy(
    client: TestClient,
    team: StaffTeam,
    database: Database,
    clock: FixedClock,
    demo: DemoStoreConnector,
) -> None:
    assert ("yiwen.retention.jobs:run_daily_retention", 24 * 3600.0) in PERIODIC_JOBS
    old = customer_writes(client, "卡密没收到")
    settle(database, clock, team, old)
    clock.advance(timedelta(days=200))
    enable_policy(client, admin_headers(client), archive_after_days=180)
    [job] = load_jobs([("yiwen.retention.jobs:run_daily_retention", 24 * 3600.0)])

    assert run_job_if_due(database, clock, job, "test-worker", lambda: demo)

    assert messages_of(database, old.conversation_id) == 0
    lease = get_lease(database, job.name)
    assert lease is not None and lease.last_error is None
    assert lease.next_run_at == clock.now() + timedelta(days=1)


def qq_message(msg_id: str, text: str) -> InboundMessage:
    return InboundMessage(external_user_id="10001", external_msg_id=msg_id, kind="text", text=text)


def test_a_channel_message_after_archiving_opens_a_new_conversation(
    team: StaffTeam, database: Database, clock: FixedClock, settings: Settings
) -> None:
    """A QQ customer whose last conversation was resolved and archived writes again."""
    with database.transaction() as db:
        account = create_account(
            db,
            clock,
            settings,
            channel="qq",
            name="QQ 客服",
            config={"api_base": "http://127.0.0.1:9"},
            secrets={"access_token": "token"},
            actor=Actor.system(),
        )
        first = receive(
            db,
            clock,
            settings,
            account,
            InboundMessage(
                external_user_id="10001", external_msg_id="q1", kind="text", text="卡密没到"
            ),
        )
        conversation = db.get(Conversation, first.conversation_id)
        assert conversation is not None
        conversation.status = "resolved"
        account_id = account.id
    clock.advance(timedelta(days=200))
    with database.transaction() as db:
        update_policy(db, clock, Policy(enabled=True, archive_after_days=180), actor=Actor.system())
    assert run_retention(database, clock, settings, actor=Actor.system()).conversations == 1

    with database.transaction() as db:
        account = db.get_one(ChannelAccount, account_id)
        again = receive(
            db,
            clock,
            settings,
            account,
            InboundMessage(
                external_user_id="10001", external_msg_id="q2", kind="text", text="又没到"
            ),
        )

    assert again.customer_id == first.customer_id
    assert again.conversation_id != first.conversation_id
    assert messages_of(database, again.conversation_id) == 1
