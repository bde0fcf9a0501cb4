"""When a window of counts is anomalous, and when a run of anomalous windows becomes an alarm.

Every minute the last ``window_minutes`` minutes of a series are compared with
what its baseline expects for those minutes. The count judged leaves out the
window's busiest minute: one burst (a buyer opening five conversations, one
batch of failures) lasts a minute, an outage lasts many. The window is
anomalous only when all three hold, so that one failure at 3 a.m. is never an
incident:

* at least ``min_count`` events (per measure: a handful of failures, more contacts);
* at least ``min_ratio`` times the expected count;
* a robust z-score ``(x - mu) / (dispersion * sqrt(mu + 0.5))`` of at least
  ``z_threshold`` (the ``+ 0.5`` keeps a near-zero expectation from turning one
  event into a huge score).

An alarm opens after ``open_after`` anomalous minutes in a row and ends after
``close_after`` normal minutes in a row (hysteresis: a flapping series gives one
alarm, not ten).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from yiwen.proactive.anomaly.baseline import Baseline, FloatArray

# Added to the expected count under the square root: near-zero expectations would
# otherwise turn two events into a huge score (min_count guards those too).
VARIANCE_FLOOR = 0.5
DEFAULT_MIN_COUNTS: dict[str, int] = {
    "push_failed": 4,
    "push_slow": 4,
    "payment_callback_missing": 4,
    "card_invalid": 4,
    "contacts": 12,
}


@dataclass(frozen=True)
class DetectorConfig:
    window_minutes: int = 5
    z_threshold: float = 3.5
    min_ratio: float = 1.5
    open_after: int = 2
    close_after: int = 10
    min_counts: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_MIN_COUNTS))

    def min_count(self, measure: str) -> int:
        return self.min_counts.get(measure, 5)


@dataclass(frozen=True)
class Verdict:
    observed: int
    expected: float
    z: float
    anomalous: bool


def robust_count(minute_counts: list[int]) -> int:
    """The window's count without its busiest minute (see the module's docstring)."""
    return sum(minute_counts) - max(minute_counts, default=0)


def robust_share(config: DetectorConfig) -> float:
    """The share of a window's expected count that its robust count expects."""
    return (config.window_minutes - 1) / config.window_minutes


def judge_window(
    observed: int, expected: float, baseline: Baseline, measure: str, config: DetectorConfig
) -> Verdict:
    """``observed`` is the window's :func:`robust_count`, ``expected`` the whole window's."""
    expected *= robust_share(config)
    z = (observed - expected) / (baseline.dispersion * float(np.sqrt(expected + VARIANCE_FLOOR)))
    anomalous = (
        observed >= config.min_count(measure)
        and observed >= config.min_ratio * expected
        and z >= config.z_threshold
    )
    return Verdict(observed=observed, expected=expected, z=z, anomalous=anomalous)


def judge_windows(
    observed: FloatArray,
    expected: FloatArray,
    dispersion: float,
    measure: str,
    config: DetectorConfig,
) -> np.ndarray:
    """:func:`judge_window` over arrays of windows at once (the offline evaluation)."""
    expected = expected * robust_share(config)
    z = (observed - expected) / (dispersion * np.sqrt(expected + VARIANCE_FLOOR))
    result: np.ndarray = (
        (observed >= config.min_count(measure))
        & (observed >= config.min_ratio * expected)
        & (z >= config.z_threshold)
    )
    return result


@dataclass
class AlarmState:
    """A series' hysteresis, persisted between runs (see ``AnomalySeries``)."""

    active: bool = False
    anomalous_run: int = 0
    normal_run: int = 0
    run_started: int | None = None  # grid minute the current anomalous run's window began


def step_alarm(
    state: AlarmState, anomalous: bool, window_start: int, config: DetectorConfig
) -> str | None:
    """Advance the hysteresis by one minute; ``"opened"``, ``"ended"`` or None."""
    if anomalous:
        if state.anomalous_run == 0:
            state.run_started = window_start
        state.anomalous_run += 1
        state.normal_run = 0
        if not state.active and state.anomalous_run >= config.open_after:
            state.active = True
            return "opened"
        return None
    state.normal_run += 1
    state.anomalous_run = 0
    if state.active and state.normal_run >= config.close_after:
        state.active = False
        state.run_started = None
        return "ended"
    if not state.active:
        state.run_started = None
    return None
