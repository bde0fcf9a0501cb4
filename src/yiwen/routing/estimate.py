"""How long a customer will wait: an M/M/c queue (Erlang C) per routing queue.

The model: each online agent serving the queue offers ``capacity`` concurrent
slots, so ``c`` = the sum of their capacities; work arrives at rate λ (arrivals
in the queue over the last 60 minutes, at least the queue's floor); a slot
finishes work at rate μ = 1 / mean handle time (first assignment → resolution
over the last 24 h, the queue's default, 6 min, without history); the offered
load is a = λ / μ.

- A new arrival waits with probability C(c, a) (Erlang C) and on average
  W_q = C(c, a) / (cμ − λ); when a ≥ c the queue grows without bound and W_q
  has no finite value (shown as none).
- The customer at position k, with f slots free now, waits for k − f slots to
  free up; while all c slots are busy they free up one at a time at rate cμ,
  so the expected wait is (k − f) / (cμ), and 0 when k ≤ f.

Erlang C is computed from Erlang B by its recurrence
B(0) = 1, B(n) = a·B(n−1) / (n + a·B(n−1)), then
C = c·B / (c − a·(1 − B)): no factorials or powers, so no overflow at large c.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yiwen.routing.models import QueueEntry, RoutingQueue
from yiwen.routing.pool import AgentPool
from yiwen.tickets.models import Ticket

ARRIVAL_WINDOW = timedelta(minutes=60)
HANDLE_TIME_WINDOW = timedelta(hours=24)
HANDLE_TIME_SAMPLE = 2000


def erlang_b(servers: int, load: float) -> float:
    """Blocking probability of an M/M/c/c system with ``load`` Erlangs offered."""
    if servers < 0 or load < 0:
        raise ValueError("servers and load must not be negative")
    blocking = 1.0
    for n in range(1, servers + 1):
        blocking = load * blocking / (n + load * blocking)
    return blocking


def erlang_c(servers: int, load: float) -> float:
    """Probability that an arrival has to wait in an M/M/c queue (1 when unstable)."""
    if servers <= 0 or load >= servers:
        return 1.0
    if load <= 0:
        return 0.0
    blocking = erlang_b(servers, load)
    return servers * blocking / (servers - load * (1 - blocking))


def mean_wait_new_arrival(servers: int, arrival_rate: float, service_rate: float) -> float | None:
    """W_q = C(c, a) / (cμ − λ), in the rates' time unit; None when the queue is unstable."""
    if servers <= 0 or service_rate <= 0:
        return None
    load = arrival_rate / service_rate
    if load >= servers:
        return None
    return erlang_c(servers, load) / (servers * service_rate - arrival_rate)


def wait_at_position(position: int, free_slots: int, slots: int, service_rate: float) -> float:
    """(k − f) / (cμ): the time until the slots needed ahead of position k have freed up."""
    ahead = position - max(free_slots, 0)
    if ahead <= 0:
        return 0.0
    return ahead / (slots * service_rate)


@dataclass(frozen=True)
class QueueStats:
    queue: RoutingQueue
    agents_online: int
    slots: int
    busy: int
    arrivals_per_minute: float
    handle_minutes: float

    @property
    def free_slots(self) -> int:
        return max(self.slots - self.busy, 0)

    @property
    def service_rate(self) -> float:
        return 1.0 / self.handle_minutes

    @property
    def offered_load(self) -> float:
        return self.arrivals_per_minute * self.handle_minutes

    @property
    def probability_of_waiting(self) -> float:
        return erlang_c(self.slots, self.offered_load)

    @property
    def new_arrival_wait_minutes(self) -> float | None:
        return mean_wait_new_arrival(self.slots, self.arrivals_per_minute, self.service_rate)

    def wait_minutes_at(self, position: int) -> float | None:
        if self.slots == 0:
            return None
        return wait_at_position(position, self.free_slots, self.slots, self.service_rate)


def queue_stats(
    db: Session, now: datetime, pool: AgentPool, queues: list[RoutingQueue]
) -> dict[str, QueueStats]:
    keys = [queue.key for queue in queues]
    if not keys:
        return {}
    arrivals = dict(
        db.execute(
            select(QueueEntry.queue_key, func.count())
            .where(QueueEntry.queue_key.in_(keys), QueueEntry.enqueued_at >= now - ARRIVAL_WINDOW)
            .group_by(QueueEntry.queue_key)
        ).all()
    )
    handle = _handle_minutes(db, now, keys)
    stats = {}
    for queue in queues:
        seats = pool.serving(queue)
        per_hour = max(arrivals.get(queue.key, 0), queue.arrival_floor_per_hour)
        stats[queue.key] = QueueStats(
            queue=queue,
            agents_online=len(seats),
            slots=sum(seat.capacity for seat in seats),
            busy=sum(min(seat.load, seat.capacity) for seat in seats),
            arrivals_per_minute=per_hour / ARRIVAL_WINDOW.total_seconds() * 60,
            handle_minutes=handle.get(queue.key) or float(queue.default_handle_minutes),
        )
    return stats


def _handle_minutes(db: Session, now: datetime, keys: list[str]) -> dict[str, float]:
    """Mean minutes from routing's assignment to resolution, per queue, over the last 24 h."""
    samples: dict[str, list[float]] = defaultdict(list)
    for key, assigned_at, resolved_at in db.execute(
        select(QueueEntry.queue_key, QueueEntry.assigned_at, Ticket.resolved_at)
        .join(Ticket, Ticket.id == QueueEntry.ticket_id)
        .where(
            QueueEntry.queue_key.in_(keys),
            QueueEntry.assigned_at >= now - HANDLE_TIME_WINDOW,
            Ticket.resolved_at.is_not(None),
        )
        .order_by(QueueEntry.assigned_at.desc())
        .limit(HANDLE_TIME_SAMPLE)
    ):
        if assigned_at is not None and resolved_at is not None and resolved_at > assigned_at:
            samples[key].append((resolved_at - assigned_at).total_seconds() / 60)
    return {key: sum(values) / len(values) for key, values in samples.items()}


def display_minutes(wait: float) -> int:
    """Whole minutes, rounded up and at least one: "about 0 minutes" promises too much."""
    return max(1, math.ceil(wait - 1e-9))
