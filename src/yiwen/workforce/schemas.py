"""API shapes of the staffing plan, the shifts and the public service-commitment page."""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from yiwen.auth.models import StaffUser
from yiwen.workforce.commitments import Commitments, Figure, Promise
from yiwen.workforce.models import Shift
from yiwen.workforce.plan import Plan


class PlanInputsOut(BaseModel):
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


class PlanHourOut(BaseModel):
    start: datetime
    forecast: float
    for_agents: float
    needed: int
    needed_patient: int
    scheduled: float
    rule_of_thumb: int
    gap: bool


class PlanOut(BaseModel):
    generated_at: datetime
    inputs: PlanInputsOut
    hours: list[PlanHourOut]
    gap_hours: int

    @classmethod
    def of(cls, plan: Plan) -> PlanOut:
        hours = [
            PlanHourOut(
                start=h.start,
                forecast=h.forecast,
                for_agents=h.for_agents,
                needed=h.needed,
                needed_patient=h.needed_patient,
                scheduled=h.scheduled,
                rule_of_thumb=h.rule_of_thumb,
                gap=h.gap,
            )
            for h in plan.hours
        ]
        return cls(
            generated_at=plan.generated_at,
            inputs=PlanInputsOut(**plan.inputs.__dict__),
            hours=hours,
            gap_hours=sum(h.gap for h in hours),
        )


class ShiftIn(BaseModel):
    """A shift; times carry their offset (e.g. ``2026-11-23T09:00:00+08:00``)."""

    model_config = ConfigDict(extra="forbid")

    agent_id: str = Field(min_length=1, max_length=32)
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    note: str = Field(default="", max_length=200)


class ShiftOut(BaseModel):
    id: str
    agent_id: str
    agent_name: str
    starts_at: datetime
    ends_at: datetime
    note: str
    updated_at: datetime

    @classmethod
    def of(cls, shift: Shift, agent: StaffUser) -> ShiftOut:
        return cls(
            id=shift.id,
            agent_id=shift.agent_id,
            agent_name=agent.display_name,
            starts_at=shift.starts_at,
            ends_at=shift.ends_at,
            note=shift.note,
            updated_at=shift.updated_at,
        )


class ShiftList(BaseModel):
    items: list[ShiftOut]


class FigureOut(BaseModel):
    days: int
    decided: int
    kept: int
    kept_rate: float | None
    median_seconds: int | None
    p90_seconds: int | None

    @classmethod
    def of(cls, figure: Figure) -> FigureOut:
        return cls(
            days=figure.days,
            decided=figure.decided,
            kept=figure.kept,
            kept_rate=figure.kept_rate,
            median_seconds=figure.median_seconds,
            p90_seconds=figure.p90_seconds,
        )


class PromiseOut(BaseModel):
    key: str
    target_seconds: int
    figures: list[FigureOut]

    @classmethod
    def of(cls, promise: Promise) -> PromiseOut:
        return cls(
            key=promise.key,
            target_seconds=promise.target_seconds,
            figures=[FigureOut.of(f) for f in promise.figures],
        )


class ComponentOut(BaseModel):
    kind: str
    name: str
    status: str
    attempts: int
    failures: int
    incident: bool


class AnnouncementOut(BaseModel):
    title: str
    body: str
    starts_at: datetime
    ends_at: datetime | None


class CommitmentsOut(BaseModel):
    generated_at: datetime
    promises: list[PromiseOut]
    components: list[ComponentOut]
    announcements: list[AnnouncementOut]
    measured_deliveries: bool

    @classmethod
    def of(cls, found: Commitments) -> CommitmentsOut:
        return cls(
            generated_at=found.generated_at,
            promises=[PromiseOut.of(p) for p in found.promises],
            components=[ComponentOut(**c.__dict__) for c in found.components],
            announcements=[AnnouncementOut(**a.__dict__) for a in found.announcements],
            measured_deliveries=found.measured_deliveries,
        )
