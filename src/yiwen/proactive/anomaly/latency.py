"""Each supplier's normal answer time, learned online, which decides when a push is "slow"."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from yiwen.core.clock import Clock
from yiwen.proactive.anomaly.models import AnomalySeries
from yiwen.proactive.anomaly.series import minute_of
from yiwen.proactive.anomaly.sources import DEFAULT_SLOW_AFTER, MIN_SLOW_AFTER
from yiwen.store.protocol import StoreEvent

P90_STEP = 0.05  # learning rate of the online p90 (a share of the current estimate)
MIN_SAMPLES = 50  # answers seen before the learned p90 replaces the default threshold


def slow_after_of(db: Session) -> Callable[[str], timedelta]:
    """Each supplier's "slow" threshold: its learned p90 answer time (at least a minute)."""
    learned = {
        value: params.get("p90_seconds") if _enough(params) else None
        for value, params in db.execute(
            select(AnomalySeries.value, AnomalySeries.params).where(
                AnomalySeries.measure == "push_total", AnomalySeries.dimension == "supplier"
            )
        )
    }

    def slow_after(supplier: str) -> timedelta:
        seconds = learned.get(supplier)
        if not isinstance(seconds, int | float):
            return DEFAULT_SLOW_AFTER
        return max(MIN_SLOW_AFTER, timedelta(seconds=float(seconds)))

    return slow_after


def _enough(params: dict[str, object]) -> bool:
    samples = params.get("p90_samples")
    return isinstance(samples, int) and samples >= MIN_SAMPLES


def learn_push_latencies(db: Session, events: list[StoreEvent], clock: Clock) -> None:
    """Move each supplier's p90 answer time towards the pushes that succeeded last minute.

    An online quantile estimate (a step up when an answer took longer than the
    estimate, a step a ninth as big down otherwise, which settles where one
    answer in ten is slower), so no history of answer times is kept.
    """
    last_minute = minute_of(clock.now()) - 1
    answers: dict[str, list[float]] = {}
    for event in events:
        if (
            event.kind == "upstream_push"
            and event.status == "succeeded"
            and event.supplier
            and event.finished_at is not None
            and minute_of(event.finished_at) == last_minute
        ):
            took = (event.finished_at - event.occurred_at).total_seconds()
            answers.setdefault(event.supplier, []).append(took)
    if not answers:
        return
    rows = {
        row.value: row
        for row in db.scalars(
            select(AnomalySeries).where(
                AnomalySeries.measure == "push_total",
                AnomalySeries.dimension == "supplier",
                AnomalySeries.value.in_(list(answers)),
            )
        )
    }
    for supplier, seconds in answers.items():
        row = rows.get(supplier)
        if row is None:
            continue
        estimate = row.params.get("p90_seconds")
        # Start high (the slowest first answer): a low start would call half the pushes slow.
        q = float(estimate) if isinstance(estimate, int | float) else float(max(seconds))
        for value in seconds:
            step = P90_STEP * max(q, 1.0)
            q = q + step if value > q else q - step / 9
        samples = row.params.get("p90_samples")
        samples = (samples if isinstance(samples, int) else 0) + len(seconds)
        row.params = {**row.params, "p90_seconds": round(q, 1), "p90_samples": samples}
