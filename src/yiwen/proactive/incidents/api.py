"""Routes for incidents, under /api/v1/incidents (permission ``incident.manage``)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yiwen.auth.audit import Actor
from yiwen.auth.models import StaffUser
from yiwen.http.deps import AppClock, DbSession, require_permission
from yiwen.proactive.incidents import service
from yiwen.proactive.incidents.models import Incident, IncidentOrder
from yiwen.proactive.incidents.schemas import (
    AffectedOrderOut,
    IncidentDetail,
    IncidentOut,
    IncidentPage,
    LinkedAnnouncementOut,
    ResolveForm,
    TimelineEntryOut,
)

router = APIRouter(prefix="/api/v1/incidents", tags=["incidents"])

Manager = Annotated[StaffUser, Depends(require_permission("incident.manage"))]
Id = Annotated[str, Path(max_length=32)]


def incident_out(db: Session, incident: Incident) -> IncidentOut:
    return IncidentOut.model_validate(_fields(db, incident))


def incident_detail(db: Session, incident: Incident) -> IncidentDetail:
    return IncidentDetail.model_validate(
        {
            **_fields(db, incident),
            "timeline": [
                TimelineEntryOut(
                    kind=e.kind,
                    actor_type=e.actor_type,
                    actor_name=e.actor_name,
                    body=e.body,
                    data=e.data,
                    at=e.at,
                )
                for e in service.timeline(db, incident.id)
            ],
            "affected_orders": [
                AffectedOrderOut(**asdict(o))
                for o in service.affected_orders(db, incident.id, open_only=False)
            ],
            "announcements": [
                LinkedAnnouncementOut.model_validate(a)
                for a in service.linked_announcements(db, incident.id)
            ],
        }
    )


@router.get("")
def list_incidents(
    db: DbSession,
    _: Manager,
    status: Annotated[str | None, Query(max_length=20)] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> IncidentPage:
    rows, next_cursor = service.list_incidents(db, status=status, cursor=cursor, limit=limit)
    return IncidentPage(items=[incident_out(db, i) for i in rows], next_cursor=next_cursor)


@router.get("/{incident_id}")
def read_incident(incident_id: Id, db: DbSession, _: Manager) -> IncidentDetail:
    return incident_detail(db, service.get_incident(db, incident_id))


@router.post("/{incident_id}/acknowledge")
def acknowledge(incident_id: Id, db: DbSession, clock: AppClock, staff: Manager) -> IncidentOut:
    incident = service.acknowledge_incident(db, clock, incident_id, actor=Actor.staff(staff))
    return incident_out(db, incident)


@router.post("/{incident_id}/resolve")
def resolve(
    incident_id: Id, body: ResolveForm, db: DbSession, clock: AppClock, staff: Manager
) -> IncidentOut:
    incident = service.resolve_incident(
        db,
        clock,
        incident_id,
        actor=Actor.staff(staff),
        note=body.note,
        close_announcements=body.close_announcements,
    )
    return incident_out(db, incident)


def _fields(db: Session, incident: Incident) -> dict[str, object]:
    count = db.scalar(
        select(func.count())
        .select_from(IncidentOrder)
        .where(IncidentOrder.incident_id == incident.id)
    )
    return {
        "id": incident.id,
        "title": incident.title,
        "status": incident.status,
        "measure": incident.measure,
        "dimension": incident.dimension,
        "value": incident.value,
        "label": incident.label,
        "suggested_action": incident.suggested_action,
        "started_at": incident.started_at,
        "detected_at": incident.detected_at,
        "ended_at": incident.ended_at,
        "window_minutes": incident.window_minutes,
        "last_observed": incident.last_observed,
        "last_expected": round(incident.last_expected, 3),
        "peak_observed": incident.peak_observed,
        "peak_expected": round(incident.peak_expected, 3),
        "total_observed": incident.total_observed,
        "baseline_per_hour": incident.baseline_per_hour,
        "affected_order_count": count or 0,
        "acknowledged_by": incident.acknowledged_by,
        "acknowledged_at": incident.acknowledged_at,
        "resolved_by": incident.resolved_by,
        "resolved_at": incident.resolved_at,
        "resolution_note": incident.resolution_note,
    }
