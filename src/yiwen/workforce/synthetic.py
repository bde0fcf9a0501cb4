"""Generated contact history with a known daily and weekly pattern, for backtests.

A 发卡 shop's contacts follow its buyers: quiet before dawn, a rise through the
morning, the peak in the evening when people play, more at the weekend. The
hourly rate is ``level × daily[hour] × weekly[weekday]`` and each hour's count
is Poisson around it, so the best any forecast can do is known exactly: the
error of the true rate itself (the noise floor) is reported beside the model's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np

# Relative contact rate per local hour 0-23 (mean about 1).
DAILY_SHAPE = (
    0.35, 0.22, 0.15, 0.10, 0.10, 0.15, 0.30, 0.50, 0.80, 1.00, 1.20, 1.30,
    1.20, 1.10, 1.10, 1.20, 1.30, 1.40, 1.50, 1.70, 1.90, 1.80, 1.25, 0.70,
)  # fmt: skip
# Monday to Sunday.
WEEKLY_SHAPE = (0.95, 0.92, 0.95, 1.00, 1.08, 1.30, 1.25)


@dataclass(frozen=True)
class GeneratedHistory:
    start: datetime  # the first hour, local time, a Monday 00:00
    rates: np.ndarray  # the true expected contacts per hour
    counts: np.ndarray  # what "happened": Poisson draws around the rates


def generate_history(
    *, weeks: int, level: float = 20.0, seed: int = 0, start: datetime | None = None
) -> GeneratedHistory:
    """``weeks`` of hourly contact counts around ``level`` contacts per hour."""
    first = start or datetime(2026, 1, 5)  # a Monday
    hours = np.arange(weeks * 7 * 24)
    first_weekday = first.weekday()
    daily = np.array(DAILY_SHAPE)[(hours + first.hour) % 24]
    weekly = np.array(WEEKLY_SHAPE)[((hours + first.hour) // 24 + first_weekday) % 7]
    rates = level * daily * weekly
    counts = np.random.default_rng(seed).poisson(rates).astype(float)
    return GeneratedHistory(start=first, rates=rates, counts=counts)
