"""The minute job: recount the last half hour, roll up hours, retrain stale baselines, judge.

``anomaly_minute_job`` is a periodic job (``yiwen.wiring.PERIODIC_JOBS``, every
60 s, one worker process at a time). Everything it learns is written to the
tables of :mod:`yiwen.proactive.anomaly.models` in the job's transaction, so a
restart resumes where it stopped: the recount covers the minutes a stopped
worker missed (up to ``RECOUNT_MINUTES``), and the hysteresis state is a row.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from yiwen.core.clock import Clock
from yiwen.core.db import Database
from yiwen.proactive.anomaly.baseline import HISTORY_HOURS, Baseline, fit_baseline
from yiwen.proactive.anomaly.detector import (
    AlarmState,
    DetectorConfig,
    Verdict,
    judge_window,
    robust_count,
    step_alarm,
)
from yiwen.proactive.anomaly.latency import learn_push_latencies, slow_after_of
from yiwen.proactive.anomaly.models import (
    HOURLY_RETENTION,
    MINUTE_RETENTION,
    AnomalyHourlyCount,
    AnomalyMinuteCount,
    AnomalySeries,
)
from yiwen.proactive.anomaly.series import WATCHED, SeriesKey, minute_of
from yiwen.proactive.anomaly.sources import (
    OWN_MEASURES,
    STORE_MEASURES,
    Tally,
    count_own_tables,
    count_store_events,
)
from yiwen.store.protocol import StoreConnector, StoreEvent, StoreUnavailable, event_source_of
from yiwen.worker.jobs import own_transactions

log = logging.getLogger("yiwen.proactive.anomaly")

RECOUNT_MINUTES = 30
# Events are fetched from further back than the recount: a push sent before the
# recount span can fail or turn slow inside it.
EVENT_LOOKBACK = timedelta(minutes=90)
RETRAIN_EVERY = timedelta(hours=1)
# After a long stop only the last minutes are judged: an alarm about the past helps nobody.
MAX_CATCH_UP_MINUTES = 15


@own_transactions
def anomaly_minute_job(database: Database, clock: Clock, store: StoreConnector) -> dict[str, int]:
    """The periodic job: the shop's events are fetched before the transaction opens.

    The fetch waits on the shop (HTTP, its database); on SQLite a transaction
    held meanwhile would stop every customer's message from being stored.
    """
    now = clock.now()
    events = _store_events(store, now)
    with database.transaction() as db:
        return count_and_judge(db, clock, now, events)


def run_anomaly_minute(
    db: Session, clock: Clock, store: StoreConnector, config: DetectorConfig | None = None
) -> dict[str, int]:
    """Count, learn, judge in ``db``'s transaction; returns figures for logs and tests."""
    now = clock.now()
    return count_and_judge(db, clock, now, _store_events(store, now), config)


def count_and_judge(
    db: Session,
    clock: Clock,
    now: datetime,
    events: list[StoreEvent] | None,
    config: DetectorConfig | None = None,
) -> dict[str, int]:
    from yiwen.proactive.incidents import service as incidents

    config = config or DetectorConfig()
    end = minute_of(now)
    start = end - RECOUNT_MINUTES
    tally = Tally()
    count_own_tables(db, tally, start, end)
    measures = set(OWN_MEASURES)
    if events is not None:
        learn_push_latencies(db, events, clock)
        count_store_events(tally, events, start, end, now, slow_after_of(db))
        measures |= STORE_MEASURES
    series = ensure_series(db, clock, tally)
    replace_counts(db, series, tally, measures, start, end)
    retrain_stale(db, clock, now)
    opened = ended = 0
    rows = list(db.scalars(select(AnomalySeries).where(AnomalySeries.measure.in_(WATCHED))))
    recent = recent_counts(
        db, [r.id for r in rows], end - MAX_CATCH_UP_MINUTES - config.window_minutes, end
    )
    for row in rows:
        for change, verdict, minute in judge_series(db, row, end, config, recent.get(row.id, {})):
            if change == "opened":
                opened += 1
                incidents.open_incident(db, clock, row, verdict, config, events or [])
            elif change == "ended":
                ended += 1
                incidents.end_incident(db, clock, row, minute)
            elif row.alarm_active:
                incidents.extend_incident(db, clock, row, verdict, events or [])
    if end % 60 == 0:
        prune(db, now)
    return {"series": len(series), "opened": opened, "ended": ended}


def _store_events(store: StoreConnector, now: datetime) -> list[StoreEvent] | None:
    source = event_source_of(store)
    if source is None:
        return None
    try:
        return source.recent_events(now - EVENT_LOOKBACK)
    except StoreUnavailable as exc:
        log.warning("store events unavailable, counting Yiwen's own tables only: %s", exc)
        return None


def ensure_series(db: Session, clock: Clock, tally: Tally) -> dict[SeriesKey, AnomalySeries]:
    """The series row of every key counted (created on first sight), by key."""
    found: dict[SeriesKey, AnomalySeries] = {}
    existing = {
        SeriesKey(r.measure, r.dimension, r.value): r for r in db.scalars(select(AnomalySeries))
    }
    for key, minutes in tally.counts.items():
        row = existing.get(key)
        if row is None:
            row = AnomalySeries(
                measure=key.measure,
                dimension=key.dimension,
                value=key.value[:100],
                first_minute=min(minutes),
                params={},
                alarm_active=False,
                anomalous_run=0,
                normal_run=0,
                created_at=clock.now(),
            )
            db.add(row)
        if key in tally.labels and row.label != tally.labels[key]:
            row.label = tally.labels[key][:100]
        if key in tally.suppliers:
            row.parent_supplier = tally.suppliers[key]
        found[key] = row
    db.flush()
    return {**existing, **found}


def replace_counts(
    db: Session,
    series: dict[SeriesKey, AnomalySeries],
    tally: Tally,
    measures: set[str],
    start: int,
    end: int,
) -> None:
    """Replace the minute counts of ``measures`` in ``[start, end)`` and re-sum their hours."""
    ids = [row.id for key, row in series.items() if key.measure in measures]
    if not ids:
        return
    db.execute(
        delete(AnomalyMinuteCount).where(
            AnomalyMinuteCount.series_id.in_(ids),
            AnomalyMinuteCount.minute >= start,
            AnomalyMinuteCount.minute < end,
        )
    )
    rows = [
        {"series_id": series[key].id, "minute": minute, "count": count}
        for key, minutes in tally.counts.items()
        if key.measure in measures
        for minute, count in minutes.items()
        if count
    ]
    if rows:
        db.execute(insert(AnomalyMinuteCount), rows)
    first_hour, last_hour = start // 60, (end - 1) // 60
    db.execute(
        delete(AnomalyHourlyCount).where(
            AnomalyHourlyCount.series_id.in_(ids),
            AnomalyHourlyCount.hour >= first_hour,
            AnomalyHourlyCount.hour <= last_hour,
        )
    )
    sums = db.execute(
        select(
            AnomalyMinuteCount.series_id,
            AnomalyMinuteCount.minute,
            AnomalyMinuteCount.count,
        ).where(
            AnomalyMinuteCount.series_id.in_(ids),
            AnomalyMinuteCount.minute >= first_hour * 60,
            AnomalyMinuteCount.minute < (last_hour + 1) * 60,
        )
    ).all()
    hourly: dict[tuple[str, int], int] = {}
    for series_id, minute, count in sums:
        hourly[(series_id, minute // 60)] = hourly.get((series_id, minute // 60), 0) + count
    if hourly:
        db.execute(
            insert(AnomalyHourlyCount),
            [{"series_id": s, "hour": h, "count": c} for (s, h), c in hourly.items()],
        )


def retrain_stale(db: Session, clock: Clock, now: datetime) -> int:
    """Fit the baseline of every watched series not fitted within the last hour."""
    stale = db.scalars(
        select(AnomalySeries).where(
            AnomalySeries.measure.in_(WATCHED),
            (AnomalySeries.trained_at.is_(None))
            | (AnomalySeries.trained_at <= now - RETRAIN_EVERY),
        )
    ).all()
    current_hour = minute_of(now) // 60
    for row in stale:
        baseline = train(db, row, current_hour)
        row.baseline = baseline.to_json() if baseline else None
        row.trained_at = now
    return len(stale)


def train(db: Session, row: AnomalySeries, current_hour: int) -> Baseline | None:
    """The series' baseline from its complete hours before ``current_hour``."""
    first_hour = max(row.first_minute // 60, current_hour - HISTORY_HOURS)
    if current_hour - first_hour <= 0:
        return None
    counts = np.zeros(current_hour - first_hour)
    for hour, count in db.execute(
        select(AnomalyHourlyCount.hour, AnomalyHourlyCount.count).where(
            AnomalyHourlyCount.series_id == row.id,
            AnomalyHourlyCount.hour >= first_hour,
            AnomalyHourlyCount.hour < current_hour,
        )
    ):
        counts[hour - first_hour] = count
    return fit_baseline(first_hour, counts)


def recent_counts(
    db: Session, series_ids: list[str], first: int, end: int
) -> dict[str, dict[int, int]]:
    """Minute counts of many series in ``[first, end)`` in one query: series → minute → count."""
    found: dict[str, dict[int, int]] = {}
    for chunk in range(0, len(series_ids), 500):
        rows = db.execute(
            select(
                AnomalyMinuteCount.series_id, AnomalyMinuteCount.minute, AnomalyMinuteCount.count
            ).where(
                AnomalyMinuteCount.series_id.in_(series_ids[chunk : chunk + 500]),
                AnomalyMinuteCount.minute >= first,
                AnomalyMinuteCount.minute < end,
            )
        ).all()
        for series_id, minute, count in rows:
            found.setdefault(series_id, {})[minute] = count
    return found


def judge_series(
    db: Session,
    row: AnomalySeries,
    end: int,
    config: DetectorConfig,
    minutes: dict[int, int] | None = None,
) -> Iterable[tuple[str | None, Verdict, int]]:
    """Judge each window ending at the minutes not judged yet; yields (change, verdict, minute).

    ``minutes`` are the series' recent counts when the caller read them in bulk.
    """
    if row.baseline is None:
        row.last_evaluated_minute = end
        return
    baseline = Baseline.from_json(row.baseline)
    first = max((row.last_evaluated_minute or end - 1) + 1, end - MAX_CATCH_UP_MINUTES + 1)
    window = config.window_minutes
    if minutes is None:
        minutes = recent_counts(db, [row.id], first - window, end).get(row.id, {})
    state = AlarmState(
        active=row.alarm_active,
        anomalous_run=row.anomalous_run,
        normal_run=row.normal_run,
        run_started=row.run_started_minute,
    )
    for evaluated_at in range(first, end + 1):
        window_start = evaluated_at - window
        counts = [minutes.get(m, 0) for m in range(window_start, evaluated_at)]
        expected = baseline.expected_in(window_start, window)
        verdict = judge_window(robust_count(counts), expected, baseline, row.measure, config)
        change = step_alarm(state, verdict.anomalous, window_start, config)
        row.alarm_active = state.active
        row.anomalous_run = state.anomalous_run
        row.normal_run = state.normal_run
        row.run_started_minute = state.run_started
        row.last_evaluated_minute = evaluated_at
        row.last_verdict = {
            "observed": verdict.observed,
            "expected": round(verdict.expected, 3),
            "z": round(verdict.z, 2),
            "minute": evaluated_at,
        }
        yield change, verdict, evaluated_at


def prune(db: Session, now: datetime) -> None:
    """Drop minute counts older than three days and hourly counts older than thirteen weeks."""
    db.execute(
        delete(AnomalyMinuteCount).where(
            AnomalyMinuteCount.minute < minute_of(now - MINUTE_RETENTION)
        )
    )
    db.execute(
        delete(AnomalyHourlyCount).where(
            AnomalyHourlyCount.hour < minute_of(now - HOURLY_RETENTION) // 60
        )
    )


def backfill_hourly(
    db: Session,
    clock: Clock,
    key: SeriesKey,
    first_hour: int,
    counts: Iterable[int],
    *,
    label: str | None = None,
) -> AnomalySeries:
    """Load a series' hourly history in bulk (an import from another system, or a simulation)."""
    row = db.scalar(
        select(AnomalySeries).where(
            AnomalySeries.measure == key.measure,
            AnomalySeries.dimension == key.dimension,
            AnomalySeries.value == key.value,
        )
    )
    if row is None:
        row = AnomalySeries(
            measure=key.measure,
            dimension=key.dimension,
            value=key.value,
            label=label,
            first_minute=first_hour * 60,
            params={},
            alarm_active=False,
            anomalous_run=0,
            normal_run=0,
            created_at=clock.now(),
        )
        db.add(row)
        db.flush()
    row.first_minute = min(row.first_minute, first_hour * 60)
    rows = [
        {"series_id": row.id, "hour": first_hour + offset, "count": int(count)}
        for offset, count in enumerate(counts)
        if count
    ]
    if rows:
        db.execute(insert(AnomalyHourlyCount), rows)
    row.trained_at = None
    return row
