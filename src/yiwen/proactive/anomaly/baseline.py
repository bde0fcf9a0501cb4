"""Each series' normal level: an hour-of-day profile, day-of-week factors, a recent level and
the series' own noise (dispersion), learned from its hourly counts.

Why this model and not a library's (statsmodels' STL or Holt-Winters): the series
are counts, most of them small (a few failures an hour, none at night), where a
Gaussian seasonal model misjudges both the level and the noise, and where a
robust, count-aware score is what keeps false alarms down. The model below is
the multiplicative decomposition those libraries would fit, made robust:

* day-of-week factors from trimmed means of daily totals (weekends sell more),
  shrunk towards 1 while few weeks are known;
* an hour-of-day profile from trimmed means of the counts at each local hour,
  after removing the day-of-week factor (the top and bottom tenth are dropped,
  so a past incident does not become part of "normal");
* a recent level: the median ratio of observed to expected over the last seven
  days, so a shop that grows or shrinks is followed within a week;
* a dispersion: the spread of the Pearson residuals ``(x - mu)/sqrt(mu)`` (the
  larger of 1.4826 x their MAD and their 90th percentile / 1.645), at least 1
  (Poisson); bursty series (one buyer opening three conversations)
  get a larger one, so their bursts are not alarms.

Fitting 12 weeks of hourly counts takes well under a millisecond per series.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from yiwen.proactive.anomaly.series import (
    EPOCH_WEEKDAY,
    HOURS_PER_DAY,
    LOCAL_OFFSET_MINUTES,
    MINUTES_PER_HOUR,
)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

MIN_HISTORY_HOURS = 72  # three days before a series is judged at all
HISTORY_HOURS = 12 * 7 * HOURS_PER_DAY
WEEKLY_AFTER_DAYS = 14  # day-of-week factors need two of each weekday
TRIM = 0.1
LEVEL_DAYS = 7
LEVEL_BOUNDS = (0.5, 2.0)
_LOCAL_HOURS = LOCAL_OFFSET_MINUTES // MINUTES_PER_HOUR


@dataclass(frozen=True)
class Baseline:
    hour_of_day: tuple[float, ...]  # expected count per local hour (0-23), weekday-neutral
    day_of_week: tuple[float, ...]  # factor per local weekday (Monday = 0)
    level: float
    dispersion: float
    history_hours: int

    def expected_per_minute(self, minutes: IntArray) -> FloatArray:
        """Expected count in each of ``minutes`` (grid minutes, UTC epoch)."""
        hours = minutes // MINUTES_PER_HOUR
        profile = np.asarray(self.hour_of_day)[_hour_of_day(hours)]
        weekly = np.asarray(self.day_of_week)[_weekday(hours)]
        result: FloatArray = profile * weekly * self.level / MINUTES_PER_HOUR
        return result

    def expected_in(self, first_minute: int, minutes: int) -> float:
        """Expected count in the ``minutes`` minutes starting at ``first_minute``."""
        span = np.arange(first_minute, first_minute + minutes, dtype=np.int64)
        return float(self.expected_per_minute(span).sum())

    def to_json(self) -> dict[str, object]:
        return {
            "hour_of_day": [round(v, 6) for v in self.hour_of_day],
            "day_of_week": [round(v, 6) for v in self.day_of_week],
            "level": round(self.level, 6),
            "dispersion": round(self.dispersion, 6),
            "history_hours": self.history_hours,
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Baseline:
        hod = data["hour_of_day"]
        dow = data["day_of_week"]
        assert isinstance(hod, list) and isinstance(dow, list)
        return cls(
            hour_of_day=tuple(float(v) for v in hod),
            day_of_week=tuple(float(v) for v in dow),
            level=float(str(data["level"])),
            dispersion=float(str(data["dispersion"])),
            history_hours=int(str(data["history_hours"])),
        )


def fit_baseline(first_hour: int, counts: FloatArray | IntArray) -> Baseline | None:
    """The baseline of hourly ``counts`` starting at grid hour ``first_hour``; None if too short.

    ``counts`` is dense: an hour without a row is a zero. Only the last twelve
    weeks are used.
    """
    values = np.asarray(counts, dtype=np.float64)
    if len(values) > HISTORY_HOURS:
        first_hour += len(values) - HISTORY_HOURS
        values = values[-HISTORY_HOURS:]
    if len(values) < MIN_HISTORY_HOURS:
        return None
    hours = np.arange(first_hour, first_hour + len(values), dtype=np.int64)
    hod = _hour_of_day(hours)
    dow = _weekday(hours)
    weekly = _day_of_week_factors(hours, values)
    neutral = values / weekly[dow]
    profile = np.array([_trimmed_mean(neutral[hod == h]) for h in range(HOURS_PER_DAY)])
    expected = profile[hod] * weekly[dow]
    level = _recent_level(hours, values, expected)
    dispersion = _dispersion(values, expected * level)
    return Baseline(
        hour_of_day=tuple(float(v) for v in profile),
        day_of_week=tuple(float(v) for v in weekly),
        level=level,
        dispersion=dispersion,
        history_hours=len(values),
    )


def _hour_of_day(hours: IntArray) -> IntArray:
    result: IntArray = (hours + _LOCAL_HOURS) % HOURS_PER_DAY
    return result


def _weekday(hours: IntArray) -> IntArray:
    result: IntArray = ((hours + _LOCAL_HOURS) // HOURS_PER_DAY + EPOCH_WEEKDAY) % 7
    return result


def _local_day(hours: IntArray) -> IntArray:
    result: IntArray = (hours + _LOCAL_HOURS) // HOURS_PER_DAY
    return result


def _trimmed_mean(values: FloatArray) -> float:
    if len(values) == 0:
        return 0.0
    cut = int(len(values) * TRIM)
    ordered = np.sort(values)
    kept = ordered[cut : len(ordered) - cut] if cut else ordered
    return float(kept.mean())


def _complete_days(hours: IntArray, values: FloatArray) -> tuple[IntArray, FloatArray]:
    """(local day, total) of every local day fully inside the history."""
    days = _local_day(hours)
    unique, inverse, sizes = np.unique(days, return_inverse=True, return_counts=True)
    totals = np.bincount(inverse, weights=values)
    full = sizes == HOURS_PER_DAY
    return unique[full], totals[full]


def _day_of_week_factors(hours: IntArray, values: FloatArray) -> FloatArray:
    days, totals = _complete_days(hours, values)
    factors = np.ones(7)
    if len(days) < WEEKLY_AFTER_DAYS:
        return factors
    overall = _trimmed_mean(totals)
    if overall <= 0:
        return factors
    weekdays = (days + EPOCH_WEEKDAY) % 7
    for weekday in range(7):
        own = totals[weekdays == weekday]
        if len(own) == 0:
            continue
        raw = _trimmed_mean(own) / overall
        weight = len(own) / (len(own) + 2)  # shrink towards 1 while few weeks are known
        factors[weekday] = max(0.05, weight * raw + (1 - weight))
    return factors


def _recent_level(hours: IntArray, values: FloatArray, expected: FloatArray) -> float:
    days = _local_day(hours)
    recent_days = np.unique(days)[-LEVEL_DAYS:]
    ratios = []
    for day in recent_days:
        mask = days == day
        wanted = float(expected[mask].sum())
        if wanted >= 1.0:
            ratios.append(float(values[mask].sum()) / wanted)
    if len(ratios) < 3:
        return 1.0
    low, high = LEVEL_BOUNDS
    return min(high, max(low, float(np.median(ratios))))


def _dispersion(values: FloatArray, expected: FloatArray) -> float:
    usable = expected >= 1.0
    if usable.sum() < HOURS_PER_DAY:
        return 1.0
    residuals = (values[usable] - expected[usable]) / np.sqrt(expected[usable])
    spread = np.abs(residuals - np.median(residuals))
    # The MAD reads the bulk; the 90th percentile reads the bursts, which are what
    # would raise false alarms. The larger of the two (as a standard deviation) wins.
    scale = max(1.4826 * float(np.median(spread)), float(np.quantile(spread, 0.9)) / 1.645)
    return max(1.0, scale) if math.isfinite(scale) else 1.0
