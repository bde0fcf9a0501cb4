"""Replaying the detector over generated series with known incidents: precision, recall, delay.

:func:`replay` runs exactly the detector the worker runs (same baseline fit,
same window verdict, same hysteresis), minute by minute over a whole series,
retraining the baseline at every local midnight on the hourly counts before it
(the worker retrains every hour). ``yiwen proactive eval-detector`` prints the
figures; tests/proactive/anomaly/test_evaluation.py holds floors under them.

Scoring: an alarm is *true* when its anomalous run overlaps an injected
incident (its end extended by ``GRACE_MINUTES``, the time the counts take to
settle back); an incident is *detected* when a true alarm opens before that
extended end, and its delay is the minutes from the incident's start to the
opening (0 when the alarm was already open).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

import numpy as np

from yiwen.proactive.anomaly.baseline import Baseline, IntArray, fit_baseline
from yiwen.proactive.anomaly.detector import (
    AlarmState,
    DetectorConfig,
    judge_windows,
    step_alarm,
)
from yiwen.proactive.anomaly.series import HOURS_PER_DAY, MINUTES_PER_HOUR
from yiwen.proactive.anomaly.simulate import (
    MINUTES_PER_DAY,
    SERIES_KINDS,
    InjectedIncident,
    SeriesSpec,
    draw_incidents,
    generate_counts,
    local_midnight_minute,
)

GRACE_MINUTES = 30
# 2026-01-05 (a Monday), local midnight: the generated series start here.
DEFAULT_START_DAY = 20458


@dataclass(frozen=True)
class Alarm:
    opened_at: int  # grid minute at which the alarm was raised (after the window closed)
    run_started: int  # first minute of the first anomalous window
    ended_at: int | None


@dataclass
class SeriesScore:
    name: str
    days: int
    incidents: int = 0
    detected: int = 0
    alarms: int = 0
    false_alarms: int = 0
    delays: list[int] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return (self.alarms - self.false_alarms) / self.alarms if self.alarms else 1.0

    @property
    def recall(self) -> float:
        return self.detected / self.incidents if self.incidents else 1.0

    @property
    def false_alarms_per_week(self) -> float:
        return self.false_alarms / (self.days / 7)


def replay(
    counts: IntArray, first_minute: int, measure: str, config: DetectorConfig
) -> list[Alarm]:
    """Every alarm the detector raises over per-minute ``counts`` starting at local midnight."""
    minutes = len(counts)
    days = -(-minutes // MINUTES_PER_DAY)  # the last day may be partial
    whole_hours = minutes // MINUTES_PER_HOUR
    hourly = counts[: whole_hours * MINUTES_PER_HOUR].reshape(-1, MINUTES_PER_HOUR).sum(axis=1)
    first_hour = first_minute // MINUTES_PER_HOUR
    grid = np.arange(first_minute, first_minute + minutes, dtype=np.int64)
    expected = np.full(minutes, np.nan)
    dispersion = np.ones(minutes)
    for day in range(days):
        baseline: Baseline | None = fit_baseline(first_hour, hourly[: day * HOURS_PER_DAY])
        if baseline is None:
            continue
        span = slice(day * MINUTES_PER_DAY, (day + 1) * MINUTES_PER_DAY)
        expected[span] = baseline.expected_per_minute(grid[span])
        dispersion[span] = baseline.dispersion
    window = config.window_minutes
    observed = _window_sums(counts.astype(np.float64), window) - _window_max(counts, window)
    wanted = _window_sums(np.nan_to_num(expected, nan=0.0), window)
    unknown = _window_sums(np.isnan(expected).astype(np.float64), window)
    known = unknown == 0
    verdicts = np.zeros(minutes, dtype=bool)
    for value in np.unique(dispersion):
        mask = known & (dispersion == value)
        verdicts[mask] = judge_windows(observed[mask], wanted[mask], value, measure, config)
    alarms: list[Alarm] = []
    state = AlarmState()
    open_alarm: tuple[int, int] | None = None
    for index in range(window - 1, minutes):
        evaluated_at = first_minute + index + 1
        change = step_alarm(state, bool(verdicts[index]), evaluated_at - window, config)
        if change == "opened":
            open_alarm = (evaluated_at, state.run_started or evaluated_at - window)
        elif change == "ended" and open_alarm is not None:
            alarms.append(Alarm(open_alarm[0], open_alarm[1], evaluated_at))
            open_alarm = None
    if open_alarm is not None:
        alarms.append(Alarm(open_alarm[0], open_alarm[1], None))
    return alarms


def _window_max(values: IntArray, window: int) -> np.ndarray:
    """The busiest minute of each window ending at each index (0 before the first)."""
    result = np.zeros(len(values))
    if len(values) >= window:
        frames = np.lib.stride_tricks.sliding_window_view(values, window)
        result[window - 1 :] = frames.max(axis=1)
    return result


def _window_sums(values: np.ndarray, window: int) -> np.ndarray:
    """Sum of each window of ``window`` minutes ending at each index (NaN before the first)."""
    cumulative = np.concatenate(([0.0], np.cumsum(values)))
    sums = np.full(len(values), np.nan)
    sums[window - 1 :] = cumulative[window:] - cumulative[:-window]
    return sums


def score(
    name: str, alarms: list[Alarm], incidents: list[InjectedIncident], days: int
) -> SeriesScore:
    result = SeriesScore(name=name, days=days, incidents=len(incidents), alarms=len(alarms))
    for alarm in alarms:
        end = alarm.ended_at if alarm.ended_at is not None else alarm.opened_at
        if not any(alarm.run_started < i.end + GRACE_MINUTES and end > i.start for i in incidents):
            result.false_alarms += 1
    for incident in incidents:
        delays = [
            max(0, alarm.opened_at - incident.start)
            for alarm in alarms
            if alarm.opened_at < incident.end + GRACE_MINUTES
            and (alarm.ended_at is None or alarm.ended_at > incident.start)
        ]
        if delays:
            result.detected += 1
            result.delays.append(min(delays))
    return result


def evaluate_kind(
    spec: SeriesSpec,
    *,
    days: int = 90,
    incidents: int = 8,
    seed: int = 1,
    config: DetectorConfig | None = None,
) -> SeriesScore:
    rng = np.random.default_rng([seed, sum(map(ord, spec.name))])
    first_minute = local_midnight_minute(DEFAULT_START_DAY)
    injected = draw_incidents(spec, first_minute, days, incidents, rng)
    counts = generate_counts(spec, first_minute, days * MINUTES_PER_DAY, injected, rng)
    alarms = replay(counts, first_minute, spec.measure, config or DetectorConfig())
    return score(spec.name, alarms, injected, days)


def evaluate_all(
    *, days: int = 90, incidents: int = 8, seeds: int = 3, config: DetectorConfig | None = None
) -> dict[str, object]:
    """Figures per series kind (summed over ``seeds`` runs) and over all of them."""
    totals = SeriesScore(name="all", days=0)
    kinds: dict[str, object] = {}
    for spec in SERIES_KINDS:
        merged = SeriesScore(name=spec.name, days=0)
        for seed in range(1, seeds + 1):
            part = evaluate_kind(spec, days=days, incidents=incidents, seed=seed, config=config)
            for target in (merged, totals):
                target.days += part.days
                target.incidents += part.incidents
                target.detected += part.detected
                target.alarms += part.alarms
                target.false_alarms += part.false_alarms
                target.delays.extend(part.delays)
        kinds[spec.name] = figures(merged)
    return {"series": kinds, "all": figures(totals), "days": days, "seeds": seeds}


def figures(result: SeriesScore) -> dict[str, object]:
    delays = sorted(result.delays)
    return {
        "incidents": result.incidents,
        "detected": result.detected,
        "alarms": result.alarms,
        "false_alarms": result.false_alarms,
        "precision": round(result.precision, 3),
        "recall": round(result.recall, 3),
        "false_alarms_per_week": round(result.false_alarms_per_week, 3),
        "delay_median_minutes": statistics.median(delays) if delays else None,
        "delay_p90_minutes": delays[int(0.9 * (len(delays) - 1))] if delays else None,
        "delay_max_minutes": delays[-1] if delays else None,
    }


def format_report(result: dict[str, object]) -> str:
    """The figures of :func:`evaluate_all` as a plain-text table."""
    header = (
        f"{'series':<8} {'incidents':>9} {'detected':>8} {'alarms':>6} {'false':>5} "
        f"{'precision':>9} {'recall':>6} {'false/wk':>8} {'delay p50':>9} {'p90':>4} {'max':>4}"
    )
    series = result["series"]
    assert isinstance(series, dict)
    lines = [header]
    for name, row in [*series.items(), ("all", result["all"])]:
        assert isinstance(row, dict)
        lines.append(
            f"{name:<8} {row['incidents']:>9} {row['detected']:>8} {row['alarms']:>6} "
            f"{row['false_alarms']:>5} {row['precision']:>9} {row['recall']:>6} "
            f"{row['false_alarms_per_week']:>8} {row['delay_median_minutes']!s:>9} "
            f"{row['delay_p90_minutes']!s:>4} {row['delay_max_minutes']!s:>4}"
        )
    lines.append(
        f"({result['days']} days x {result['seeds']} seeds per series kind; delays in minutes)"
    )
    return "\n".join(lines)
