"""The anomaly minute job with many series, and the detector's offline replay speed.

A database holds 300 watched series with 12 weeks of hourly history and a day
of minute counts (SQLite); the minute job (recount, retrain stale baselines,
judge every series) is timed over consecutive simulated minutes, the first
run retraining every series. The replay figure is minutes judged per second
over one 90-day series. Run: ``.venv/bin/python -m bench.bench_anomaly``.
"""

from __future__ import annotations

import json
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import insert

from bench.common import percentile
from yiwen.core.clock import FixedClock
from yiwen.core.db import Database
from yiwen.migrations import upgrade
from yiwen.proactive.anomaly.detector import DetectorConfig
from yiwen.proactive.anomaly.evaluation import replay
from yiwen.proactive.anomaly.ingest import backfill_hourly, run_anomaly_minute
from yiwen.proactive.anomaly.models import AnomalyMinuteCount
from yiwen.proactive.anomaly.series import SeriesKey, minute_of
from yiwen.proactive.anomaly.simulate import SERIES_KINDS, generate_counts, local_midnight_minute
from yiwen.store.protocol import StoreConnector

SERIES = 300
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
MINUTES = 30


def run() -> dict[str, float | int]:
    rng = np.random.default_rng(1)
    spec = SERIES_KINDS[0]
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        upgrade(url)
        database = Database(url)
        clock = FixedClock(NOW)
        end = minute_of(NOW)
        first = end - 84 * 1440
        with database.transaction() as db:
            for index in range(SERIES):
                counts = generate_counts(spec, first, 84 * 1440, [], rng)
                row = backfill_hourly(
                    db,
                    clock,
                    SeriesKey("contacts", "channel", f"bench-{index}"),
                    first // 60,
                    counts.reshape(-1, 60).sum(axis=1),
                )
                recent = counts[-1440:]
                db.execute(
                    insert(AnomalyMinuteCount),
                    [
                        {"series_id": row.id, "minute": end - 1440 + i, "count": int(c)}
                        for i, c in enumerate(recent)
                        if c
                    ],
                )
        timings = []
        store: StoreConnector = object()  # type: ignore[assignment]  # no event source
        for _ in range(MINUTES):
            clock.advance(timedelta(minutes=1))
            started = time.perf_counter()
            with database.transaction() as db:
                run_anomaly_minute(db, clock, store)
            timings.append(time.perf_counter() - started)
        database.dispose()
    start = local_midnight_minute(20458)
    series = generate_counts(spec, start, 90 * 1440, [], rng)
    started = time.perf_counter()
    replay(series, start, spec.measure, DetectorConfig())
    replay_seconds = time.perf_counter() - started
    return {
        "series": SERIES,
        "first_run_with_retraining_s": round(timings[0], 3),
        "minute_job_p50_s": round(percentile(timings[1:], 0.5), 3),
        "minute_job_max_s": round(max(timings[1:]), 3),
        "replay_minutes_per_s": round(90 * 1440 / replay_seconds),
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
