"""The daily retention run in the worker (``yiwen.wiring.PERIODIC_JOBS``)."""

from __future__ import annotations

from yiwen.auth.audit import Actor
from yiwen.core.clock import Clock
from yiwen.core.db import Database
from yiwen.core.settings import Settings
from yiwen.retention.service import RetentionReport, run_retention
from yiwen.store.protocol import StoreConnector
from yiwen.worker.jobs import own_transactions

DAILY = 24 * 3600.0


@own_transactions
def run_daily_retention(database: Database, clock: Clock, store: StoreConnector) -> RetentionReport:
    """Batches commit one by one, so a long first run never holds one huge transaction."""
    settings = database.context.get("settings")
    assert isinstance(settings, Settings)
    return run_retention(database, clock, settings, actor=Actor.system())
