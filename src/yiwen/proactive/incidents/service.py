"""Incidents: opened, extended and ended by the detector; acknowledged and resolved by supervisors.

A flagged series opens an incident, unless the same trouble already has one:
an alarm on a product of a supplier whose own series is already in an
incident for the same measure joins that incident (a timeline line), and an
alarm on a series whose unresolved incident had ended reopens it. Every
change is on the incident's timeline; status changes and new affected orders
are also in the audit log. Opening notifies supervisors: the
``incident.opened`` event (webhooks, the staff WebSocket) and an email to each
active supervisor and admin with an address when SMTP is configured.

:func:`affected_orders` is the announcements' entry point
(yiwen.proactive.announcements): the orders and buyers to tell.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yiwen.auth.audit import Actor, record_audit
from yiwen.auth.models import StaffUser
from yiwen.core.clock import Clock, as_utc, to_local
from yiwen.core.cursor import decode_cursor, encode_cursor
from yiwen.core.db import session_context
from yiwen.core.errors import Conflict, InvalidInput, NotFound
from yiwen.core.events import emit
from yiwen.core.i18n import translate
from yiwen.core.settings import Settings
from yiwen.notify.outbox import enqueue
from yiwen.proactive.anomaly.detector import DetectorConfig, Verdict
from yiwen.proactive.anomaly.latency import slow_after_of
from yiwen.proactive.anomaly.models import AnomalyMinuteCount, AnomalySeries
from yiwen.proactive.anomaly.series import minute_of, minute_start
from yiwen.proactive.anomaly.sources import payment_problem, push_problem
from yiwen.proactive.incidents import messages as _messages  # noqa: F401  (registers texts)
from yiwen.proactive.incidents.models import (
    ACTIVE_STATUSES,
    INCIDENT_STATUSES,
    Incident,
    IncidentEvent,
    IncidentOrder,
)
from yiwen.store.protocol import StoreEvent

MAX_PAGE = 200
MAX_NOTE = 2000
# Orders in these shop states need nothing more: they are not "affected" any longer.
SETTLED_ORDER_STATUSES = frozenset({"delivered", "refunded", "partially_refunded", "cancelled"})
ORDER_MEASURES = frozenset({"push_failed", "push_slow", "payment_callback_missing"})


@dataclass(frozen=True)
class AffectedOrder:
    order_no: str
    contact: str | None
    shop_user_id: str | None
    product_id: str | None
    product_name: str | None
    supplier: str | None
    payment_method: str | None
    problem: str
    order_status: str | None
    first_seen_at: datetime


# --- the detector's side ------------------------------------------------------------------


def open_incident(
    db: Session,
    clock: Clock,
    series: AnomalySeries,
    verdict: Verdict,
    config: DetectorConfig,
    events: Iterable[StoreEvent],
) -> Incident:
    """The incident for a series whose alarm just opened (a new one, a parent's or reopened)."""
    now = clock.now()
    started = minute_start(series.run_started_minute or minute_of(now) - config.window_minutes)
    parent = _parent_incident(db, series)
    if parent is not None:
        add_event(
            db,
            parent,
            "related",
            Actor.system(),
            now,
            translate("incident_related_note", what=_describe(series)),
            {"series_id": series.id, "observed": verdict.observed},
        )
        _record_orders(db, clock, parent, series, events)
        return parent
    incident = active_incident(db, series.id)
    if incident is not None:
        incident.ended_at = None
        incident.updated_at = now
        _update_counts(incident, verdict)
        add_event(
            db,
            incident,
            "reopened",
            Actor.system(),
            now,
            translate(
                "incident_reopened_note",
                observed=verdict.observed,
                window=config.window_minutes,
            ),
            _verdict_data(verdict),
        )
        _audit(db, clock, incident, "incident.reopen", {"ended_at": None})
        _record_orders(db, clock, incident, series, events)
        return incident
    incident = Incident(
        series_id=series.id,
        measure=series.measure,
        dimension=series.dimension,
        value=series.value,
        label=series.label,
        title=_title(series, verdict, config.window_minutes)[:200],
        suggested_action=translate(
            f"incident_action_{series.measure}", label=series.label or series.value
        ),
        status="open",
        started_at=started,
        detected_at=now,
        window_minutes=config.window_minutes,
        last_observed=verdict.observed,
        last_expected=verdict.expected,
        peak_observed=verdict.observed,
        peak_expected=verdict.expected,
        peak_z=verdict.z,
        total_observed=0,
        baseline_per_hour=_baseline_per_hour(verdict, config),
        created_at=now,
        updated_at=now,
    )
    db.add(incident)
    db.flush()
    incident.total_observed = _observed_since(db, series.id, started)
    add_event(
        db,
        incident,
        "detected",
        Actor.system(),
        now,
        translate(
            "incident_detected_note",
            observed=verdict.observed,
            window=config.window_minutes,
            expected=f"{verdict.expected:.1f}",
            z=f"{verdict.z:.1f}",
        ),
        _verdict_data(verdict),
    )
    _record_orders(db, clock, incident, series, events)
    _audit(db, clock, incident, "incident.open", _public(incident))
    emit(
        db,
        "incident.opened",
        incident_id=incident.id,
        title=incident.title,
        measure=incident.measure,
        dimension=incident.dimension,
        value=incident.value,
        started_at=incident.started_at.isoformat(),
    )
    _email_supervisors(db, clock, incident)
    return incident


def extend_incident(
    db: Session, clock: Clock, series: AnomalySeries, verdict: Verdict, events: Iterable[StoreEvent]
) -> None:
    """A minute more of an alarm that is still on: the counts and any new affected orders."""
    incident = active_incident(db, series.id) or _parent_incident(db, series)
    if incident is None:
        return
    if incident.series_id == series.id:
        _update_counts(incident, verdict)
        incident.total_observed = _observed_since(db, series.id, as_utc(incident.started_at))
        incident.updated_at = clock.now()
    _record_orders(db, clock, incident, series, events)


def end_incident(db: Session, clock: Clock, series: AnomalySeries, minute: int) -> None:
    """The series is back to normal: the incident stays for a supervisor to resolve."""
    incident = active_incident(db, series.id)
    if incident is None or incident.ended_at is not None:
        return
    now = clock.now()
    incident.ended_at = now
    incident.updated_at = now
    normal = series.normal_run
    add_event(
        db, incident, "ended", Actor.system(), now, translate("incident_ended_note", minutes=normal)
    )
    _audit(db, clock, incident, "incident.end", {"ended_at": now})
    emit(db, "incident.ended", incident_id=incident.id, ended_at=now.isoformat())


def active_incident(db: Session, series_id: str) -> Incident | None:
    return db.scalar(
        select(Incident)
        .where(Incident.series_id == series_id, Incident.status.in_(ACTIVE_STATUSES))
        .order_by(Incident.detected_at.desc())
        .limit(1)
    )


def _parent_incident(db: Session, series: AnomalySeries) -> Incident | None:
    if series.dimension != "product" or not series.parent_supplier:
        return None
    return db.scalar(
        select(Incident)
        .where(
            Incident.measure == series.measure,
            Incident.dimension == "supplier",
            Incident.value == series.parent_supplier,
            Incident.status.in_(ACTIVE_STATUSES),
        )
        .order_by(Incident.detected_at.desc())
        .limit(1)
    )


def _record_orders(
    db: Session,
    clock: Clock,
    incident: Incident,
    series: AnomalySeries,
    events: Iterable[StoreEvent],
) -> None:
    """Add the orders of ``series`` in trouble since the incident started; refresh known ones."""
    if series.measure not in ORDER_MEASURES:
        return
    now = clock.now()
    since = as_utc(incident.started_at)
    known = {
        row.order_no: row
        for row in db.scalars(select(IncidentOrder).where(IncidentOrder.incident_id == incident.id))
    }
    added = 0
    for event in events:
        if event.order_no in known:
            row = known[event.order_no]
            if event.order_status and event.order_status != row.order_status:
                row.order_status = event.order_status
                row.updated_at = now
            continue
        problem = _problem_of(db, event, series, now)
        if problem is None or problem[1] < since:
            continue
        row = IncidentOrder(
            incident_id=incident.id,
            order_no=event.order_no,
            contact=event.contact,
            shop_user_id=event.shop_user_id,
            product_id=event.product_id,
            product_name=(event.product_name or "")[:200] or None,
            supplier=event.supplier,
            payment_method=event.payment_method,
            problem=problem[0],
            order_status=event.order_status,
            first_seen_at=now,
            updated_at=now,
        )
        db.add(row)
        known[event.order_no] = row
        added += 1
    if added:
        db.flush()
        add_event(
            db,
            incident,
            "orders",
            Actor.system(),
            now,
            translate("incident_orders_note", count=added),
            {"count": added},
        )
        _audit(db, clock, incident, "incident.orders", {"added": added, "total": len(known)})


def _problem_of(
    db: Session, event: StoreEvent, series: AnomalySeries, now: datetime
) -> tuple[str, datetime] | None:
    if series.measure in ("push_failed", "push_slow"):
        if event.kind != "upstream_push" or not _matches(event, series):
            return None
        problem = push_problem(event, now, slow_after_of(db)(event.supplier or ""))
    else:
        if event.kind != "payment" or not _matches(event, series):
            return None
        problem = payment_problem(event, now)
    return problem if problem is not None and problem[0] == series.measure else None


def _matches(event: StoreEvent, series: AnomalySeries) -> bool:
    values = {
        "supplier": event.supplier,
        "product": event.product_id,
        "payment_method": event.payment_method,
        "region": event.region,
    }
    return series.dimension == "all" or values.get(series.dimension) == series.value


def _update_counts(incident: Incident, verdict: Verdict) -> None:
    incident.last_observed = verdict.observed
    incident.last_expected = verdict.expected
    if verdict.z > incident.peak_z:
        incident.peak_observed = verdict.observed
        incident.peak_expected = verdict.expected
        incident.peak_z = verdict.z


def _observed_since(db: Session, series_id: str, since: datetime) -> int:
    return int(
        db.scalar(
            select(func.coalesce(func.sum(AnomalyMinuteCount.count), 0)).where(
                AnomalyMinuteCount.series_id == series_id,
                AnomalyMinuteCount.minute >= minute_of(since),
            )
        )
        or 0
    )


def _baseline_per_hour(verdict: Verdict, config: DetectorConfig) -> float:
    return round(verdict.expected * 60 / config.window_minutes, 3)


def _title(series: AnomalySeries, verdict: Verdict, window: int) -> str:
    return translate(
        "incident_title",
        dimension=translate(f"dimension_{series.dimension}"),
        label=series.label or series.value,
        measure=translate(f"measure_{series.measure}"),
        observed=verdict.observed,
        window=window,
        expected=f"{verdict.expected:.1f}",
    )


def _describe(series: AnomalySeries) -> str:
    return (
        f"{translate(f'dimension_{series.dimension}')}「{series.label or series.value}」"
        f"{translate(f'measure_{series.measure}')}"
    )


def _verdict_data(verdict: Verdict) -> dict[str, object]:
    return {
        "observed": verdict.observed,
        "expected": round(verdict.expected, 3),
        "z": round(verdict.z, 2),
    }


def _email_supervisors(db: Session, clock: Clock, incident: Incident) -> None:
    try:
        settings = session_context(db, "settings")
    except LookupError:
        return
    if not isinstance(settings, Settings) or not settings.smtp_host:
        return
    orders = db.scalar(
        select(func.count())
        .select_from(IncidentOrder)
        .where(IncidentOrder.incident_id == incident.id)
    )
    body = translate(
        "incident_email_body",
        title=incident.title,
        since=to_local(incident.started_at).strftime("%Y-%m-%d %H:%M"),
        orders=orders or 0,
        action=incident.suggested_action,
    )
    for staff in db.scalars(
        select(StaffUser).where(
            StaffUser.role.in_(("admin", "supervisor")),
            StaffUser.is_active.is_(True),
            StaffUser.email.is_not(None),
        )
    ):
        assert staff.email is not None
        enqueue(
            db,
            clock,
            key=f"incident:{incident.id}:opened:{staff.id}",
            kind="email",
            event="incident.opened",
            recipient=staff.email,
            payload={
                "subject": translate("incident_email_subject", title=incident.title),
                "body": body,
            },
        )


# --- the supervisors' side ----------------------------------------------------------------


def get_incident(db: Session, incident_id: str) -> Incident:
    incident = db.get(Incident, incident_id)
    if incident is None:
        raise NotFound("incident_not_found")
    return incident


def list_incidents(
    db: Session, *, status: str | None, cursor: str | None, limit: int
) -> tuple[list[Incident], str | None]:
    """Newest detection first, by a cursor over (detected_at, id)."""
    if status is not None and status not in INCIDENT_STATUSES:
        raise InvalidInput("incident_status_invalid", status=status)
    limit = max(1, min(limit, MAX_PAGE))
    query = select(Incident)
    if status is not None:
        query = query.where(Incident.status == status)
    if cursor:
        moment, key = decode_cursor(cursor)
        query = query.where(
            (Incident.detected_at < moment)
            | ((Incident.detected_at == moment) & (Incident.id < key))
        )
    rows = list(
        db.scalars(query.order_by(Incident.detected_at.desc(), Incident.id.desc()).limit(limit + 1))
    )
    if len(rows) > limit:
        rows = rows[:limit]
        return rows, encode_cursor(rows[-1].detected_at, rows[-1].id)
    return rows, None


def acknowledge_incident(db: Session, clock: Clock, incident_id: str, *, actor: Actor) -> Incident:
    """A supervisor takes the incident; acknowledging it again changes nothing."""
    incident = get_incident(db, incident_id)
    if incident.status == "resolved":
        raise Conflict("incident_already_resolved")
    if incident.status == "acknowledged":
        return incident
    now = clock.now()
    incident.status = "acknowledged"
    incident.acknowledged_by = actor.id
    incident.acknowledged_at = now
    incident.updated_at = now
    add_event(db, incident, "acknowledged", actor, now, translate("incident_acknowledged_note"))
    _audit(
        db,
        clock,
        incident,
        "incident.acknowledge",
        {"status": "acknowledged"},
        actor=actor,
        before={"status": "open"},
    )
    emit(db, "incident.acknowledged", incident_id=incident.id, by=actor.id)
    return incident


def resolve_incident(
    db: Session,
    clock: Clock,
    incident_id: str,
    *,
    actor: Actor,
    note: str = "",
    close_announcements: bool = True,
) -> Incident:
    """Close the incident; resolving a resolved incident again changes nothing.

    With ``close_announcements`` (the default) its announcements still showing are
    closed too, with the note as their resolution: the banner goes and the affected
    customers are told it is over (yiwen.proactive.announcements).
    """
    note = note.strip()
    if len(note) > MAX_NOTE:
        raise InvalidInput("incident_note_too_long", limit=MAX_NOTE)
    incident = get_incident(db, incident_id)
    if incident.status == "resolved":
        return incident
    before = incident.status
    now = clock.now()
    incident.status = "resolved"
    incident.resolved_by = actor.id
    incident.resolved_at = now
    incident.resolution_note = note or None
    incident.ended_at = incident.ended_at or now
    incident.updated_at = now
    add_event(db, incident, "resolved", actor, now, translate("incident_resolved_note", note=note))
    _audit(
        db,
        clock,
        incident,
        "incident.resolve",
        {"status": "resolved", "note": note},
        actor=actor,
        before={"status": before},
    )
    if close_announcements:
        _close_linked_announcements(db, clock, incident, actor=actor, note=note)
    emit(db, "incident.resolved", incident_id=incident.id, by=actor.id)
    return incident


def _close_linked_announcements(
    db: Session, clock: Clock, incident: Incident, *, actor: Actor, note: str
) -> None:
    from yiwen.proactive.announcements.models import Announcement
    from yiwen.proactive.announcements.service import close_announcement

    showing = db.scalars(
        select(Announcement)
        .where(Announcement.incident_id == incident.id, Announcement.status == "active")
        .order_by(Announcement.starts_at)
    )
    for announcement in showing:
        close_announcement(db, clock, announcement, actor=actor, resolution_text=note)


def timeline(db: Session, incident_id: str) -> list[IncidentEvent]:
    return list(
        db.scalars(
            select(IncidentEvent)
            .where(IncidentEvent.incident_id == incident_id)
            .order_by(IncidentEvent.id)
        )
    )


def affected_orders(
    session: Session, incident_id: str, *, open_only: bool = True
) -> list[AffectedOrder]:
    """The orders the incident touched, oldest first; by default only those still unsettled."""
    get_incident(session, incident_id)
    rows = session.scalars(
        select(IncidentOrder)
        .where(IncidentOrder.incident_id == incident_id)
        .order_by(IncidentOrder.first_seen_at, IncidentOrder.order_no)
    )
    return [
        AffectedOrder(
            order_no=row.order_no,
            contact=row.contact,
            shop_user_id=row.shop_user_id,
            product_id=row.product_id,
            product_name=row.product_name,
            supplier=row.supplier,
            payment_method=row.payment_method,
            problem=row.problem,
            order_status=row.order_status,
            first_seen_at=as_utc(row.first_seen_at),
        )
        for row in rows
        if not (open_only and row.order_status in SETTLED_ORDER_STATUSES)
    ]


def add_event(
    db: Session,
    incident: Incident,
    kind: str,
    actor: Actor,
    at: datetime,
    body: str = "",
    data: dict[str, object] | None = None,
) -> IncidentEvent:
    event = IncidentEvent(
        incident_id=incident.id,
        kind=kind,
        actor_type=actor.kind,
        actor_id=actor.id,
        actor_name=actor.name,
        body=body,
        data=data or {},
        at=at,
    )
    db.add(event)
    db.flush()
    return event


def _audit(
    db: Session,
    clock: Clock,
    incident: Incident,
    action: str,
    after: dict[str, object],
    *,
    actor: Actor | None = None,
    before: dict[str, object] | None = None,
) -> None:
    record_audit(
        db,
        clock,
        actor=actor or Actor.system(),
        action=action,
        target_type="incident",
        target_id=incident.id,
        before=before,
        after=after,
    )


def _public(incident: Incident) -> dict[str, object]:
    return {
        "title": incident.title,
        "measure": incident.measure,
        "dimension": incident.dimension,
        "value": incident.value,
        "started_at": incident.started_at,
        "status": incident.status,
    }


def linked_announcements(db: Session, incident_id: str) -> list[dict[str, object]]:
    """Announcements published from this incident (yiwen.proactive.announcements), read-only."""
    from yiwen.proactive.announcements.models import Announcement

    rows = db.scalars(
        select(Announcement)
        .where(Announcement.incident_id == incident_id)
        .order_by(Announcement.starts_at)
    )
    return [
        {"id": a.id, "title": a.title, "status": a.status, "starts_at": a.starts_at} for a in rows
    ]


def open_incident_scopes(db: Session) -> set[tuple[str, str]]:
    """("supplier", name) and ("payment_method", method) of every incident not yet over.

    Status pages (the public commitment page) mark those components degraded at least.
    """
    rows = db.execute(
        select(Incident.dimension, Incident.value, Incident.label).where(
            Incident.status.in_(ACTIVE_STATUSES),
            Incident.dimension.in_(("supplier", "payment_method")),
        )
    )
    return {
        (dimension, label if dimension == "supplier" and label else value)
        for dimension, value, label in rows
    }
