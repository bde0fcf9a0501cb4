"""Reports tests: ticket history through the real services, mail through a real SMTP server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.analytics.conftest import History, Seats, history, seat  # noqa: F401  (fixtures)
from tests.notify.peers import SmtpPeer
from yiwen.auth.audit import AuditEntry
from yiwen.core.clock import Clock
from yiwen.core.db import Database
from yiwen.core.settings import Settings
from yiwen.wiring import build_worker
from yiwen.worker.runner import Worker


@pytest.fixture(scope="session")
def smtp_peer() -> Iterator[SmtpPeer]:
    peer = SmtpPeer()
    peer.start()
    yield peer
    peer.stop()


@pytest.fixture
def mailbox(smtp_peer: SmtpPeer) -> SmtpPeer:
    smtp_peer.mails.clear()
    smtp_peer.raw.clear()
    return smtp_peer


@pytest.fixture
def settings(tmp_path: Path, database_url: str, demo_url: str, smtp_peer: SmtpPeer) -> Settings:
    return Settings(
        data_dir=tmp_path / "var",
        database_url=database_url,
        secret_key="test-secret-key-0123456789abcdef",
        shop_token_secret="shop-secret-for-tests",
        demo_shop_url=demo_url,
        worker_embedded=False,
        smtp_host="127.0.0.1",
        smtp_port=smtp_peer.port,
        smtp_from="一问客服 <service@yiwen.example>",
    )


def report_worker(database: Database, settings: Settings, clock: Clock) -> Worker:
    """The worker as the wiring builds it, with only the scheduled-report job."""
    return build_worker(
        database, settings, clock, jobs=(("yiwen.reports.jobs:queue_scheduled_reports", 60.0),)
    )


def audit_entries(database: Database, action: str) -> list[AuditEntry]:
    with database.reading() as db:
        found = list(
            db.scalars(
                select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.at)
            )
        )
        db.expunge_all()
        return found


__all__ = ["History", "Seats", "audit_entries", "report_worker"]
