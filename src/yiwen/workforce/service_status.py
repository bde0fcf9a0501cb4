"""Is each supplier and payment channel working right now? And what has the desk announced?

Status comes from the last hour of the shop's own records: a supplier's failed
upstream pushes, a payment method's failed payments and payments whose
gateway callback never arrived (money taken, order still unpaid). A channel is
*degraded* from ``DEGRADED_SHARE`` of its attempts failing and *down* from
``DOWN_SHARE``, each only with at least ``MIN_FAILURES`` failures, so one failed
top-up at 3 a.m. is not an outage. Suppliers and methods seen in the last day
are listed even when quiet in the last hour.

The anomaly detector's open incidents (``yiwen.proactive.incidents``) mark the
suppliers and payment methods they name degraded at least, whatever the last
hour's counts say. Announcements
come from ``yiwen.proactive.announcements`` (title and text only: the orders an
announcement is about are private).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy.orm import Session

from yiwen.core.clock import as_utc
from yiwen.core.settings import Settings
from yiwen.proactive.announcements.active import active_announcements
from yiwen.proactive.incidents.service import open_incident_scopes
from yiwen.store.activity import ShopActivity

Status = Literal["operational", "degraded", "down"]
STATUS_WINDOW = timedelta(hours=1)
MIN_FAILURES = 3
DEGRADED_SHARE = 0.2
DOWN_SHARE = 0.5
PAID = frozenset({"paid", "refunded", "partially_refunded"})


@dataclass(frozen=True)
class ComponentStatus:
    kind: Literal["supplier", "payment_method"]
    name: str
    status: Status
    attempts: int  # in the last hour
    failures: int
    incident: bool  # an open incident names it


@dataclass(frozen=True)
class PublicAnnouncement:
    title: str
    body: str
    starts_at: datetime
    ends_at: datetime | None


def judge(attempts: int, failures: int) -> Status:
    if failures < MIN_FAILURES or attempts == 0:
        return "operational"
    share = failures / attempts
    if share >= DOWN_SHARE:
        return "down"
    if share >= DEGRADED_SHARE:
        return "degraded"
    return "operational"


def _components(
    kind: Literal["supplier", "payment_method"],
    events: Iterable[tuple[str, datetime, bool]],
    now: datetime,
    incidents: set[tuple[str, str]],
) -> list[ComponentStatus]:
    """``events``: (name, when, failed) over the last day."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for name, when, failed in events:
        tally = counts[name]
        if as_utc(when) >= now - STATUS_WINDOW:
            tally[0] += 1
            tally[1] += failed
    found = []
    for name in sorted(counts):
        attempts, failures = counts[name]
        status = judge(attempts, failures)
        incident = (kind, name) in incidents
        if incident and status == "operational":
            status = "degraded"
        found.append(ComponentStatus(kind, name, status, attempts, failures, incident))
    return found


def service_status(
    db: Session, settings: Settings, now: datetime, activity: ShopActivity | None
) -> tuple[tuple[ComponentStatus, ...], tuple[PublicAnnouncement, ...]]:
    incidents = open_incident_scopes(db)
    components: list[ComponentStatus] = []
    if activity is not None:
        components += _components(
            "supplier",
            ((p.supplier, p.created_at, p.status == "failed") for p in activity.pushes),
            now,
            incidents,
        )
        components += _components(
            "payment_method",
            (
                (
                    p.method,
                    p.created_at,
                    p.status == "failed" or (p.status in PAID and not p.callback_received),
                )
                for p in activity.payments
            ),
            now,
            incidents,
        )
    announcements = tuple(
        PublicAnnouncement(a.title, a.body, a.starts_at, a.ends_at)
        for a in active_announcements(db, now, ttl_seconds=settings.announcement_cache_seconds)
    )
    return tuple(components), announcements
