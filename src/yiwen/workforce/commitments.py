"""The service-commitment page: each promise, and how well it was kept in the last 7 and 30 days.

Promises and their targets:

- first response: the catch-all SLA policies' first-response target;
- card-key fix: the ``card_invalid`` policies' resolution target;
- refund: the ``refund_request`` policies' resolution target;
- delivery per product type: ``settings.commitment_delivery_minutes``, from
  payment to delivery, measured on the shop's own data (``yiwen.store.activity``).

A case is a ticket created (an order paid) in the window. Its deadline is the
one the SLA clock gave the ticket (business hours and pauses included), or
start + target where there is none; for deliveries, paid + target. A case is
*decided* once it is done or its deadline has passed; *kept* if it was done by
its deadline. "% kept" is kept / decided, so a ticket nobody answered counts
against the promise as soon as its deadline passes, not only once it is
answered. Median and p90 (nearest rank, as in the KPI report) are of the
durations of the cases done. Nothing private leaves this module: counts,
durations and names of suppliers and payment methods only.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from yiwen.analytics.percentiles import nearest_rank
from yiwen.core.clock import Clock, as_utc
from yiwen.core.settings import Settings
from yiwen.sla.policies import FALLBACK_RESOLUTION, matching_policies
from yiwen.store.activity import ShopActivity, activity_feed
from yiwen.tickets.models import Ticket
from yiwen.workforce.history import first_response_target_seconds
from yiwen.workforce.service_status import ComponentStatus, PublicAnnouncement, service_status

WINDOWS = (7, 30)
CACHE_SECONDS = 60.0
# The categories whose resolution is a published promise.
FIX_PROMISES = (("card_key_fix", "card_invalid"), ("refund", "refund_request"))


@dataclass(frozen=True)
class Case:
    started_at: datetime
    done_at: datetime | None
    due_at: datetime


@dataclass(frozen=True)
class Figure:
    """How a promise fared over the last ``days`` days."""

    days: int
    decided: int
    kept: int
    median_seconds: int | None
    p90_seconds: int | None

    @property
    def kept_rate(self) -> float | None:
        return round(self.kept / self.decided, 4) if self.decided else None


@dataclass(frozen=True)
class Promise:
    key: str  # first_response | card_key_fix | refund | delivery_<delivery type>
    target_seconds: int
    figures: tuple[Figure, ...]


@dataclass(frozen=True)
class Commitments:
    generated_at: datetime
    promises: tuple[Promise, ...]
    components: tuple[ComponentStatus, ...]
    announcements: tuple[PublicAnnouncement, ...]
    measured_deliveries: bool  # False: the shop's connector cannot report deliveries


def figure(cases: Iterable[Case], *, now: datetime, days: int) -> Figure:
    since = now - timedelta(days=days)
    decided = kept = 0
    durations: list[float] = []
    for case in cases:
        if not since <= case.started_at < now:
            continue
        if case.done_at is not None and case.done_at <= now:
            durations.append((case.done_at - case.started_at).total_seconds())
            decided += 1
            kept += case.done_at <= case.due_at
        elif case.due_at <= now:
            decided += 1
    durations.sort()
    n = len(durations)
    return Figure(
        days=days,
        decided=decided,
        kept=kept,
        median_seconds=round(durations[nearest_rank(0.5, n) - 1]) if n else None,
        p90_seconds=round(durations[nearest_rank(0.9, n) - 1]) if n else None,
    )


def _promise(key: str, target: timedelta, cases: list[Case], now: datetime) -> Promise:
    return Promise(
        key=key,
        target_seconds=round(target.total_seconds()),
        figures=tuple(figure(cases, now=now, days=days) for days in WINDOWS),
    )


def resolution_target(db: Session, category: str) -> timedelta:
    """The resolution promise of a plain ticket of ``category`` (the SLA policies decide)."""
    for policy in matching_policies(db, category, "normal", "standard"):
        if policy.resolution_minutes is not None:
            return timedelta(minutes=policy.resolution_minutes)
    return FALLBACK_RESOLUTION


def ticket_promises(db: Session, now: datetime) -> list[Promise]:
    since = now - timedelta(days=max(WINDOWS))
    first_target = timedelta(seconds=first_response_target_seconds(db))
    fix_targets = {category: resolution_target(db, category) for _, category in FIX_PROMISES}
    first: list[Case] = []
    fixes: dict[str, list[Case]] = {category: [] for _, category in FIX_PROMISES}
    rows = db.execute(
        select(
            Ticket.category,
            Ticket.created_at,
            Ticket.first_response_at,
            Ticket.first_response_due_at,
            Ticket.resolved_at,
            Ticket.due_at,
        ).where(Ticket.created_at >= since, Ticket.created_at < now)
    )
    for category, created, responded, response_due, resolved, due in rows:
        created = as_utc(created)
        first.append(_case(created, responded, response_due, created + first_target))
        if category in fixes:
            fixes[category].append(_case(created, resolved, due, created + fix_targets[category]))
    return [
        _promise("first_response", first_target, first, now),
        *(
            _promise(key, fix_targets[category], fixes[category], now)
            for key, category in FIX_PROMISES
        ),
    ]


def _case(
    started: datetime, done: datetime | None, due: datetime | None, fallback_due: datetime
) -> Case:
    return Case(
        started_at=started,
        done_at=as_utc(done) if done is not None else None,
        due_at=as_utc(due) if due is not None else fallback_due,
    )


def delivery_promises(
    activity: ShopActivity, targets: dict[str, int], now: datetime
) -> list[Promise]:
    promises = []
    for delivery_type, minutes in targets.items():
        target = timedelta(minutes=minutes)
        cases = [
            Case(
                started_at=as_utc(record.paid_at),
                done_at=as_utc(record.delivered_at) if record.delivered_at else None,
                due_at=as_utc(record.paid_at) + target,
            )
            for record in activity.deliveries
            if record.delivery_type == delivery_type
        ]
        promises.append(_promise(f"delivery_{delivery_type}", target, cases, now))
    return promises


def compute_commitments(
    db: Session, clock: Clock, settings: Settings, store: object
) -> Commitments:
    now = clock.now()
    promises = ticket_promises(db, now)
    feed = activity_feed(store)
    activity = None
    if feed is not None:
        activity = feed.shop_activity(
            paid_since=now - timedelta(days=max(WINDOWS)), events_since=now - timedelta(days=1)
        )
        promises += delivery_promises(activity, settings.commitment_delivery_minutes, now)
    components, announcements = service_status(db, settings, now, activity)
    return Commitments(
        generated_at=now,
        promises=tuple(promises),
        components=components,
        announcements=announcements,
        measured_deliveries=activity is not None,
    )


_lock = threading.Lock()
_cache: dict[str, Commitments] = {}


def get_commitments(db: Session, clock: Clock, settings: Settings, store: object) -> Commitments:
    """The page's figures, computed at most once a minute (of the clock) per database."""
    key = str(db.get_bind().engine.url)
    now = clock.now()
    with _lock:
        cached = _cache.get(key)
    if cached is not None and timedelta(0) <= now - cached.generated_at < timedelta(
        seconds=CACHE_SECONDS
    ):
        return cached
    fresh = compute_commitments(db, clock, settings, store)
    with _lock:
        _cache[key] = fresh
    return fresh
