"""The staffing plan: per hour, the contacts expected, the agents they need, the agents scheduled.

Per hour of the next ``days``:

- ``forecast``: contacts expected (``forecast.forecast_hours`` on the last
  ``HISTORY_WEEKS`` weeks of contacts per hour);
- ``for_agents``: the part the bot will not contain, forecast × (1 − containment);
- ``needed``: Erlang C agents to answer ``service_level`` of those within the
  first-response target, given the handle time. Routing gives an agent
  ``capacity`` conversations at once and the handle time is measured over
  that parallel work, so Erlang C counts conversation slots and an agent
  fills ``concurrency`` of them: agents = ⌈slots / concurrency⌉;
- ``needed_patient``: the same with Erlang A, customers giving up after the
  configured patience (never more than Erlang C);
- ``scheduled``: agent-hours of shifts in the hour (a shift ending at 9:30
  counts half of the 9 o'clock hour);
- ``rule_of_thumb``: the seeds' one agent per 200 active users, the same every hour.

A ``gap`` is an hour whose scheduled staff falls short of ``needed``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from yiwen.core.clock import Clock
from yiwen.core.errors import InvalidInput
from yiwen.core.settings import Settings
from yiwen.workforce import history
from yiwen.workforce import messages as _messages  # noqa: F401  (registers the texts)
from yiwen.workforce.erlang import Demand, agents_erlang_a, agents_erlang_c
from yiwen.workforce.forecast import forecast_hours
from yiwen.workforce.models import Shift

HISTORY_WEEKS = 8
MAX_DAYS = 28
HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class PlanInputs:
    service_level: float
    target_seconds: float
    handle_seconds: float
    containment: float
    concurrency: float
    patience_seconds: float
    active_users: int
    users_per_agent: int
    history_hours: int
    model: str


@dataclass(frozen=True)
class PlanHour:
    start: datetime
    forecast: float
    for_agents: float
    needed: int
    needed_patient: int
    scheduled: float
    rule_of_thumb: int

    @property
    def gap(self) -> bool:
        return self.scheduled + 1e-9 < self.needed


@dataclass(frozen=True)
class Plan:
    generated_at: datetime
    inputs: PlanInputs
    hours: list[PlanHour]


@dataclass(frozen=True)
class Overrides:
    """A supervisor's what-if: any input given here replaces the measured one."""

    service_level: float | None = None
    target_seconds: float | None = None
    handle_seconds: float | None = None
    concurrency: float | None = None


def check_overrides(days: int, overrides: Overrides) -> None:
    if not 1 <= days <= MAX_DAYS:
        raise InvalidInput("workforce_days_out_of_range", max=MAX_DAYS)
    if overrides.service_level is not None and not 0 < overrides.service_level < 1:
        raise InvalidInput("workforce_invalid_service_level")
    for value in (overrides.target_seconds, overrides.handle_seconds):
        if value is not None and not 1 <= value <= 7 * 86400:
            raise InvalidInput("workforce_invalid_seconds")
    if overrides.concurrency is not None and not 1 <= overrides.concurrency <= 50:
        raise InvalidInput("workforce_invalid_concurrency")


def measure_inputs(
    db: Session,
    settings: Settings,
    now: datetime,
    overrides: Overrides,
    *,
    history_hours: int,
    model: str,
) -> PlanInputs:
    return PlanInputs(
        service_level=overrides.service_level or settings.workforce_service_level,
        target_seconds=overrides.target_seconds or history.first_response_target_seconds(db),
        handle_seconds=overrides.handle_seconds or history.handle_seconds(db, now),
        containment=history.bot_containment(db, now),
        concurrency=overrides.concurrency or history.concurrency(db),
        patience_seconds=settings.workforce_patience_seconds,
        active_users=history.active_users(db, now),
        users_per_agent=settings.workforce_users_per_agent,
        history_hours=history_hours,
        model=model,
    )


def build_plan(
    db: Session, clock: Clock, settings: Settings, *, days: int = 14, overrides: Overrides
) -> Plan:
    check_overrides(days, overrides)
    now = clock.now()
    start = history.hour_floor(now)
    history_start = start - timedelta(weeks=HISTORY_WEEKS)
    past = _trim_leading_quiet(history.hourly_contacts(db, history_start, start))
    horizon = days * 24
    forecast = forecast_hours(past, horizon)
    inputs = measure_inputs(
        db, settings, now, overrides, history_hours=len(past), model=forecast.model
    )
    scheduled = scheduled_per_hour(db, start, horizon)
    rule = math.ceil(inputs.active_users / inputs.users_per_agent) if inputs.active_users else 0
    hours = []
    for i in range(horizon):
        expected = float(forecast.values[i])
        for_agents = expected * (1 - inputs.containment)
        demand = Demand(
            arrivals_per_hour=for_agents,
            handle_seconds=inputs.handle_seconds,
            target_seconds=inputs.target_seconds,
            service_level=inputs.service_level,
        )
        hours.append(
            PlanHour(
                start=start + i * HOUR,
                forecast=round(expected, 2),
                for_agents=round(for_agents, 2),
                needed=_agents(agents_erlang_c(demand), inputs.concurrency),
                needed_patient=_agents(
                    agents_erlang_a(demand, inputs.patience_seconds), inputs.concurrency
                ),
                scheduled=round(scheduled[i], 2),
                rule_of_thumb=rule,
            )
        )
    return Plan(generated_at=now, inputs=inputs, hours=hours)


def _agents(slots: int, concurrency: float) -> int:
    return math.ceil(slots / concurrency - 1e-9) if slots else 0


def _trim_leading_quiet(counts: list[float]) -> list[float]:
    """History starts with the first contact: the empty weeks before a desk opened are not a
    pattern to learn."""
    for i, n in enumerate(counts):
        if n > 0:
            return counts[i:]
    return []


def scheduled_per_hour(db: Session, start: datetime, hours: int) -> list[float]:
    """Agent-hours of shifts in each hour from ``start``."""
    end = start + hours * HOUR
    staffed = [0.0] * hours
    shifts = db.execute(
        select(Shift.starts_at, Shift.ends_at).where(Shift.starts_at < end, Shift.ends_at > start)
    )
    for shift_start, shift_end in shifts:
        first = max(0, int((shift_start - start) / HOUR))
        last = min(hours, math.ceil((shift_end - start) / HOUR))
        for i in range(first, last):
            hour_start = start + i * HOUR
            overlap = min(shift_end, hour_start + HOUR) - max(shift_start, hour_start)
            staffed[i] += max(overlap / HOUR, 0.0)
    return staffed
