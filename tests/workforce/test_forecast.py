"""The forecast's backtest on generated history with a known daily and weekly pattern."""

from __future__ import annotations

import numpy as np

from yiwen.workforce.forecast import WEEK, backtest, forecast_hours
from yiwen.workforce.synthetic import DAILY_SHAPE, WEEKLY_SHAPE, generate_history


def test_backtest_error_is_near_the_noise_floor_and_beats_last_week() -> None:
    history = generate_history(weeks=4, level=20, seed=11)
    result = backtest(history.counts, origins=3, true_rates=history.rates)
    assert result.hours == 3 * WEEK
    assert result.floor_mae is not None and result.rate_mape is not None
    # Poisson noise alone costs floor_mae; the model may add at most 15 % to it,
    # and its forecast stays within 12 % of the true rate on average.
    assert result.mae <= 1.15 * result.floor_mae
    assert result.rate_mape <= 0.12
    assert result.mae < result.naive_mae
    assert result.mape <= 0.35


def test_the_forecast_keeps_the_evening_peak_and_the_busy_weekend() -> None:
    history = generate_history(weeks=3, level=30, seed=5)
    forecast = forecast_hours(history.counts, WEEK)
    assert forecast.model == "daily_weekly"
    by_day = forecast.values.reshape(7, 24)  # history starts on a Monday 00:00
    assert int(np.argmax(by_day.mean(axis=0))) in (19, 20, 21)
    assert int(np.argmax(DAILY_SHAPE)) == 20
    weekend, weekday = by_day[5:].sum(axis=1).mean(), by_day[:5].sum(axis=1).mean()
    assert weekend / weekday > 1.15
    assert max(WEEKLY_SHAPE[5:]) / max(WEEKLY_SHAPE[:5]) > 1.15


def test_short_histories_fall_back_to_simpler_forecasts() -> None:
    assert forecast_hours([], 5).model == "none"
    assert list(forecast_hours([], 5).values) == [0.0] * 5
    assert forecast_hours([2.0, 4.0], 3).model == "mean"
    assert list(forecast_hours([2.0, 4.0], 3).values) == [3.0, 3.0, 3.0]
    day_only = generate_history(weeks=1, level=10, seed=2).counts
    assert forecast_hours(day_only, 24).model == "daily"
    assert (forecast_hours(np.zeros(400), 24).values >= 0).all()
