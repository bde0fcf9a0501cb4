"""Open an incident the way the detector does, for tests that need one."""

from __future__ import annotations

from collections.abc import Sequence

from yiwen.core.clock import FixedClock
from yiwen.core.db import Database
from yiwen.proactive.anomaly.detector import DetectorConfig, Verdict
from yiwen.proactive.anomaly.models import AnomalySeries
from yiwen.proactive.anomaly.series import minute_of
from yiwen.proactive.incidents.service import open_incident
from yiwen.store.protocol import StoreEvent


def open_supplier_incident(
    database: Database,
    clock: FixedClock,
    *,
    supplier: str = "fengniao",
    label: str = "蜂鸟卡业",
    events: Sequence[StoreEvent] = (),
) -> str:
    """A supplier's failed-push series in alarm and the incident it opens; returns its id."""
    now = clock.now()
    with database.transaction() as db:
        series = AnomalySeries(
            measure="push_failed",
            dimension="supplier",
            value=supplier,
            label=label,
            first_minute=minute_of(now) - 10_000,
            params={},
            alarm_active=True,
            anomalous_run=2,
            normal_run=0,
            run_started_minute=minute_of(now) - 6,
            created_at=now,
        )
        db.add(series)
        db.flush()
        verdict = Verdict(observed=9, expected=0.4, z=9.5, anomalous=True)
        return open_incident(db, clock, series, verdict, DetectorConfig(), list(events)).id
