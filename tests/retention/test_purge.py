"""Purging after the second period: content gone for good, the record and the audit kept."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.factories import StaffTeam
from tests.retention.conftest import (
    ADMIN_API,
    PNG,
    admin_headers,
    audit_of,
    customer_writes,
    enable_policy,
    settle,
)
from yiwen.auth.audit import Actor
from yiwen.conversations.models import Conversation
from yiwen.core.clock import FixedClock
from yiwen.core.db import Database
from yiwen.core.settings import Settings
from yiwen.retention.files import archive_store
from yiwen.retention.models import ArchivedAttachment, ConversationArchive
from yiwen.retention.service import run_retention


def test_archives_are_purged_after_the_second_period_and_leave_a_record(
    client: TestClient, team: StaffTeam, database: Database, clock: FixedClock, settings: Settings
) -> None:
    purged_bytes = PNG + b"purged"
    doomed = customer_writes(client, "卡密没到", files=(purged_bytes,))
    settle(database, clock, team, doomed)
    kept_bytes = PNG + b"kept"
    on_hold = customer_writes(client, "我要起诉你们", files=(kept_bytes,))
    settle(database, clock, team, on_hold)
    clock.advance(timedelta(days=200))
    admin = admin_headers(client)
    enable_policy(client, admin, archive_after_days=180, purge_after_days=90)
    first = run_retention(database, clock, settings, actor=Actor.system())
    assert (first.conversations, first.purged_conversations) == (2, 0)
    with database.reading() as db:
        hold_customer = db.scalar(
            select(Conversation.customer_id).where(Conversation.id == on_hold.conversation_id)
        )
    placed = client.post(
        f"{ADMIN_API}/holds", json={"customer_id": hold_customer, "reason": "诉讼"}, headers=admin
    )
    assert placed.status_code == 201
    clock.advance(timedelta(days=60))
    assert run_retention(database, clock, settings, actor=Actor.system()).purged_conversations == 0
    clock.advance(timedelta(days=31))
    admin = admin_headers(client)

    preview = client.post(f"{ADMIN_API}/preview", headers=admin).json()
    report = run_retention(database, clock, settings, actor=Actor.system())

    assert (preview["purged_conversations"], preview["purged_attachments"]) == (1, 1)
    assert (report.purged_conversations, report.purged_attachments) == (1, 1)
    assert report.purged_bytes == len(purged_bytes)
    store = archive_store(settings)
    assert not store.path_for(hashlib.sha256(purged_bytes).hexdigest()).exists()
    assert store.path_for(hashlib.sha256(kept_bytes).hexdigest()).read_bytes() == kept_bytes
    with database.reading() as db:
        record = db.get(ConversationArchive, doomed.conversation_id)
        assert record is not None
        assert record.transcript is None and record.purged_at == clock.now()
        assert record.message_count == 2 and len(record.transcript_sha256) == 64
        assert db.get(Conversation, doomed.conversation_id) is not None
        assert (
            db.scalar(
                select(func.count(ArchivedAttachment.id)).where(
                    ArchivedAttachment.purged_at.is_(None)
                )
            )
            == 1
        )
    gone = client.get(f"{ADMIN_API}/archives/{doomed.conversation_id}", headers=admin)
    assert gone.status_code == 410
    assert gone.json()["error"]["code"] == "archive_purged"
    kept = client.get(f"{ADMIN_API}/archives/{on_hold.conversation_id}", headers=admin)
    assert kept.status_code == 200
    [purge] = audit_of(database, "retention.purged")
    assert purge["after"]["conversation_ids"] == [doomed.conversation_id]  # type: ignore[index]
    assert purge["after"]["policy"]["purge_after_days"] == 90  # type: ignore[index]
    # Archiving and purging never removed an audit entry: the archiving batch is still there.
    assert len(audit_of(database, "retention.archived")) == 1
