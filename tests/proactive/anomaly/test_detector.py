"""The detector: what counts as anomalous, hysteresis, and its figures on generated series."""

from __future__ import annotations

import numpy as np

from yiwen.proactive.anomaly.baseline import fit_baseline
from yiwen.proactive.anomaly.detector import (
    AlarmState,
    DetectorConfig,
    judge_window,
    robust_count,
    step_alarm,
)
from yiwen.proactive.anomaly.evaluation import evaluate_all
from yiwen.proactive.anomaly.simulate import SERIES_KINDS, generate_counts, local_midnight_minute

START = local_midnight_minute(20458)


def _baseline(kind: str):  # type: ignore[no-untyped-def]
    spec = next(s for s in SERIES_KINDS if s.name == kind)
    counts = generate_counts(spec, START, 28 * 1440, [], np.random.default_rng(3))
    baseline = fit_baseline(START // 60, counts.reshape(-1, 60).sum(axis=1))
    assert baseline is not None
    return baseline


def test_one_failure_at_three_in_the_morning_is_not_an_incident() -> None:
    baseline = _baseline("night")
    three_am = START + 28 * 1440 + 3 * 60
    expected = baseline.expected_in(three_am, 5)
    verdict = judge_window(
        robust_count([0, 0, 1, 0, 0]), expected, baseline, "push_failed", DetectorConfig()
    )
    assert expected < 0.1 and not verdict.anomalous
    burst = judge_window(
        robust_count([0, 0, 9, 0, 0]), expected, baseline, "push_failed", DetectorConfig()
    )
    assert not burst.anomalous  # one batch in one minute: the busiest minute is left out
    outage = judge_window(
        robust_count([2, 1, 2, 2, 1]), expected, baseline, "push_failed", DetectorConfig()
    )
    assert outage.anomalous


def test_the_baseline_learns_the_evening_peak_and_the_weekend() -> None:
    weekly = _baseline("weekly")
    assert weekly.hour_of_day[21] > 5 * weekly.hour_of_day[4]
    assert weekly.day_of_week[5] > 1.5 * weekly.day_of_week[1]
    assert 1.0 <= _baseline("smooth").dispersion < 1.3
    assert _baseline("bursty").dispersion > 1.5  # clustered contacts are noisier than Poisson


def test_an_alarm_opens_after_two_anomalous_minutes_and_ends_after_ten_normal_ones() -> None:
    config = DetectorConfig()
    state = AlarmState()
    assert step_alarm(state, True, 100, config) is None
    assert step_alarm(state, True, 101, config) == "opened"
    assert state.run_started == 100
    changes = [step_alarm(state, False, 102 + i, config) for i in range(9)]
    assert changes == [None] * 9 and state.active
    assert step_alarm(state, True, 111, config) is None  # flapping keeps the same alarm
    changes = [step_alarm(state, False, 112 + i, config) for i in range(10)]
    assert changes[-1] == "ended" and not state.active


def test_on_generated_series_precision_recall_and_delay_hold_their_floors() -> None:
    figures = evaluate_all(days=90, incidents=8, seeds=1)
    overall = figures["all"]
    assert isinstance(overall, dict)
    assert overall["precision"] >= 0.8
    assert overall["recall"] >= 0.85
    assert overall["false_alarms_per_week"] <= 0.25
    assert overall["delay_median_minutes"] <= 10
    series = figures["series"]
    assert isinstance(series, dict)
    for name in ("smooth", "night", "weekly"):
        assert series[name]["false_alarms_per_week"] <= 0.1, name
        assert series[name]["recall"] >= 0.75, name
