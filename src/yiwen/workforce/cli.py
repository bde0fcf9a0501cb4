"""``yiwen workforce``: the forecast's backtest figures and the staffing plan in a terminal."""

from __future__ import annotations

import json
from typing import TextIO

from yiwen.core.clock import SystemClock, to_local
from yiwen.core.db import Database
from yiwen.core.settings import Settings
from yiwen.workforce.forecast import backtest
from yiwen.workforce.plan import Overrides, build_plan
from yiwen.workforce.synthetic import generate_history


def run_backtest(
    out: TextIO, *, weeks: int, level: float, seed: int, origins: int, as_json: bool
) -> int:
    """Rolling-origin backtest on generated history with a known daily and weekly pattern."""
    history = generate_history(weeks=weeks, level=level, seed=seed)
    result = backtest(history.counts, origins=origins, true_rates=history.rates)
    figures = {
        "weeks": weeks,
        "level_per_hour": level,
        "seed": seed,
        "origins": result.origins,
        "horizon_hours": result.horizon,
        "hours_scored": result.hours,
        "mape": round(result.mape, 4),
        "mae": round(result.mae, 3),
        "wape": round(result.wape, 4),
        "naive_same_hour_last_week_mae": round(result.naive_mae, 3),
        "noise_floor_mae": round(result.floor_mae or 0.0, 3),
        "mape_against_true_rate": round(result.rate_mape or 0.0, 4),
    }
    if as_json:
        out.write(json.dumps(figures) + "\n")
        return 0
    out.write(
        f"backtest: {weeks} weeks of generated history, about {level:g} contacts/hour, "
        f"{result.origins} origins x {result.horizon} h ahead ({result.hours} hours scored)\n"
        f"  MAPE {result.mape:.1%} (hours with contacts)   MAE {result.mae:.2f}   "
        f"WAPE {result.wape:.1%}\n"
        f"  noise floor MAE {figures['noise_floor_mae']}   "
        f"same hour last week MAE {figures['naive_same_hour_last_week_mae']}\n"
        f"  forecast vs true rate MAPE {figures['mape_against_true_rate']:.1%}\n"
    )
    return 0


def run_plan(out: TextIO, settings: Settings, *, days: int) -> int:
    """The plan from this database's history, one line per hour."""
    database = Database(settings.resolved_database_url())
    try:
        with database.reading() as db:
            plan = build_plan(db, SystemClock(), settings, days=days, overrides=Overrides())
    finally:
        database.dispose()
    i = plan.inputs
    out.write(
        f"model {i.model}, {i.history_hours} h of history; handle {i.handle_seconds:.0f} s, "
        f"containment {i.containment:.0%}, {i.service_level:.0%} within {i.target_seconds:.0f} s, "
        f"{i.concurrency:.1f} conversations per agent\n"
        "hour (Asia/Shanghai)  forecast  needed  erlang-a  scheduled  rule-of-thumb\n"
    )
    for hour in plan.hours:
        gap = "  GAP" if hour.gap else ""
        out.write(
            f"{to_local(hour.start):%Y-%m-%d %H:%M}  {hour.forecast:8.1f}  {hour.needed:6d}  "
            f"{hour.needed_patient:8d}  {hour.scheduled:9.1f}  {hour.rule_of_thumb:13d}{gap}\n"
        )
    return 0
