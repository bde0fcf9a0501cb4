"""Generated per-minute series with known injected incidents, to measure the detector against.

The shapes are those of a 发卡 shop: quiet from 01:00 to 07:00, busy in the
evening, more on weekends for some series. Four kinds of series are generated:

* ``smooth``: plenty of events, Poisson (contact volume of a big shop);
* ``bursty``: events come in clusters (one buyer opens three conversations,
  a guild buys ten cards at once), so the count is over-dispersed;
* ``night``: few events, almost none at night (failures of one supplier);
* ``weekly``: a strong weekend peak (card-invalid reports after weekend sales).

An incident adds ``extra_per_minute`` events a minute for its duration (a
supplier outage turns every push into a failure). Everything is drawn from a
numpy Generator seeded by the caller, so a run is reproducible.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from yiwen.proactive.anomaly.baseline import FloatArray, IntArray
from yiwen.proactive.anomaly.series import (
    EPOCH_WEEKDAY,
    HOURS_PER_DAY,
    LOCAL_OFFSET_MINUTES,
    MINUTES_PER_HOUR,
)

# Relative traffic per local hour (00-23) of a virtual-goods shop.
DIURNAL = np.array(
    [5, 3, 1.5, 1, 1, 1, 2, 3, 5, 6, 7, 7, 8, 7, 7, 7, 7, 8, 9, 11, 13, 14, 12, 8], dtype=np.float64
)
MINUTES_PER_DAY = MINUTES_PER_HOUR * HOURS_PER_DAY


@dataclass(frozen=True)
class SeriesSpec:
    name: str
    measure: str
    mean_per_hour: float  # average over a week
    diurnal_power: float = 1.0  # > 1 deepens the night
    weekend_factor: float = 1.0
    cluster_mean: float = 1.0  # > 1: events arrive in clusters of this mean size
    incident_extra: tuple[float, float] = (1.0, 3.0)  # extra events a minute, range


@dataclass(frozen=True)
class InjectedIncident:
    start: int  # grid minute
    minutes: int
    extra_per_minute: float

    @property
    def end(self) -> int:
        return self.start + self.minutes


SERIES_KINDS: tuple[SeriesSpec, ...] = (
    SeriesSpec("smooth", "contacts", mean_per_hour=90, incident_extra=(1.5, 4.0)),
    SeriesSpec("bursty", "contacts", mean_per_hour=40, cluster_mean=3.0, incident_extra=(2.5, 6.0)),
    SeriesSpec(
        "night", "push_failed", mean_per_hour=1.5, diurnal_power=2.0, incident_extra=(1.0, 2.5)
    ),
    SeriesSpec(
        "weekly", "card_invalid", mean_per_hour=3, weekend_factor=2.0, incident_extra=(0.8, 2.0)
    ),
)


def seasonal_rate(spec: SeriesSpec, minutes: IntArray) -> FloatArray:
    """The expected events a minute at each grid minute (no incident)."""
    local = minutes + LOCAL_OFFSET_MINUTES
    hod = (local // MINUTES_PER_HOUR) % HOURS_PER_DAY
    weekday = (local // MINUTES_PER_DAY + EPOCH_WEEKDAY) % 7
    shape = DIURNAL**spec.diurnal_power
    shape = shape / shape.mean()
    weekly = np.where(weekday >= 5, spec.weekend_factor, 1.0)
    weekly_mean = (5 + 2 * spec.weekend_factor) / 7
    rate: FloatArray = spec.mean_per_hour / MINUTES_PER_HOUR * shape[hod] * weekly / weekly_mean
    return rate


def generate_counts(
    spec: SeriesSpec,
    first_minute: int,
    minutes: int,
    incidents: list[InjectedIncident],
    rng: np.random.Generator,
) -> IntArray:
    grid = np.arange(first_minute, first_minute + minutes, dtype=np.int64)
    rate = seasonal_rate(spec, grid)
    if spec.cluster_mean > 1:
        clusters = rng.poisson(rate / spec.cluster_mean)
        extra = rng.negative_binomial(np.maximum(clusters, 1), 1 / spec.cluster_mean)
        counts: IntArray = np.where(clusters > 0, clusters + extra, 0).astype(np.int64)
    else:
        counts = rng.poisson(rate).astype(np.int64)
    for incident in incidents:
        lo = max(0, incident.start - first_minute)
        hi = min(minutes, incident.end - first_minute)
        if hi > lo:
            counts[lo:hi] += rng.poisson(incident.extra_per_minute, hi - lo)
    return counts


def draw_incidents(
    spec: SeriesSpec,
    first_minute: int,
    days: int,
    count: int,
    rng: np.random.Generator,
    *,
    warm_up_days: int = 14,
) -> list[InjectedIncident]:
    """``count`` incidents on distinct days after the warm-up, starting between 08:00 and 23:00."""
    chosen = rng.choice(np.arange(warm_up_days, days), size=count, replace=False)
    incidents = []
    low, high = spec.incident_extra
    for day in sorted(int(d) for d in chosen):
        local_minute = int(rng.integers(8 * 60, 23 * 60))
        start = first_minute + day * MINUTES_PER_DAY + local_minute
        incidents.append(
            InjectedIncident(
                start=start,
                minutes=int(rng.integers(20, 90)),
                extra_per_minute=float(rng.uniform(low, high)),
            )
        )
    return incidents


def local_midnight_minute(day_index: int) -> int:
    """The grid minute of local (Asia/Shanghai) midnight starting epoch day ``day_index``."""
    return day_index * MINUTES_PER_DAY - LOCAL_OFFSET_MINUTES
