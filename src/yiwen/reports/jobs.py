"""The periodic job that queues scheduled reports (wired in ``yiwen.wiring.PERIODIC_JOBS``)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from yiwen.core.clock import Clock
from yiwen.core.db import session_context
from yiwen.core.settings import Settings
from yiwen.reports.subscriptions import queue_due_reports
from yiwen.store.protocol import StoreConnector


def queue_scheduled_reports(db: Session, clock: Clock, store: StoreConnector) -> int:
    """Queue every due report; nothing without SMTP (they would only pile up as dead letters).

    No run is recorded then either, so once SMTP is configured the latest period goes out.
    """
    settings = session_context(db, "settings")
    assert isinstance(settings, Settings)
    if not settings.smtp_host:
        return 0
    return queue_due_reports(db, clock)
