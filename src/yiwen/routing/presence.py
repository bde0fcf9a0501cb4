"""Agents' routing profiles: departments served, tier, presence, capacity and hourly cap.

Presence is the agent's own switch; going offline or away stops new
assignments but leaves the work they hold with them. Anyone whose role works
tickets gets a profile on first use, with defaults from their role.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from yiwen.auth.audit import Actor, record_audit
from yiwen.auth.models import StaffUser
from yiwen.auth.permissions import has_permission
from yiwen.core.clock import Clock
from yiwen.core.errors import ActionNotAllowed, InvalidInput
from yiwen.routing.models import AgentProfile
from yiwen.routing.queues import check_department, check_tier
from yiwen.routing.waiting import request_drain

PRESENCES = ("online", "away", "offline")
MAX_CAPACITY = 50

# A role's departments and tier until an admin says otherwise: specialists are
# senior in their department and also catch its L1 work when L1 is busy.
ROLE_DEFAULTS: dict[str, tuple[tuple[str, ...], str]] = {
    "agent_l1": (("general",), "L1"),
    "agent_l2": (("general",), "L2"),
    "tech": (("tech",), "L2"),
    "finance": (("finance",), "L2"),
    "supplier_liaison": (("supplier_liaison",), "L2"),
    "security": (("security",), "L2"),
    "supervisor": (("general",), "L2"),
    "admin": (("general",), "L2"),
}


def works_tickets(agent: StaffUser) -> bool:
    return agent.is_active and has_permission(agent.role, "ticket.reply")


def get_agent(db: Session, agent_id: str) -> StaffUser:
    agent = db.get(StaffUser, agent_id)
    if agent is None or not works_tickets(agent):
        raise InvalidInput("routing_agent_not_found")
    return agent


def profile_of(db: Session, clock: Clock, agent: StaffUser) -> AgentProfile:
    """The agent's profile, created from their role's defaults the first time it is needed."""
    profile = db.get(AgentProfile, agent.id)
    if profile is None:
        skills, tier = ROLE_DEFAULTS.get(agent.role, (("general",), "L1"))
        now = clock.now()
        profile = AgentProfile(
            agent_id=agent.id,
            skills=list(skills),
            tier=tier,
            presence="offline",
            capacity=5,
            hourly_cap=None,
            presence_changed_at=now,
            updated_at=now,
        )
        db.add(profile)
        db.flush()
    return profile


def set_presence(db: Session, clock: Clock, agent: StaffUser, presence: str) -> AgentProfile:
    if not works_tickets(agent):
        raise ActionNotAllowed("routing_not_an_agent")
    if presence not in PRESENCES:
        raise InvalidInput("routing_unknown_presence", presence=presence)
    profile = profile_of(db, clock, agent)
    if profile.presence == presence:
        return profile
    before = profile.presence
    profile.presence = presence
    profile.presence_changed_at = profile.updated_at = clock.now()
    record_audit(
        db,
        clock,
        actor=Actor.staff(agent),
        action="routing.presence",
        target_type="staff_user",
        target_id=agent.id,
        before={"presence": before},
        after={"presence": presence},
    )
    # Coming online takes waiting work; any change moves the customers' estimates.
    request_drain(db)
    return profile


def update_profile(
    db: Session,
    clock: Clock,
    agent_id: str,
    *,
    actor: Actor,
    skills: list[str] | None = None,
    tier: str | None = None,
    capacity: int | None = None,
    hourly_cap: int | None = None,
    clear_hourly_cap: bool = False,
) -> AgentProfile:
    """An admin's change to how an agent takes work; validated whole before anything is written."""
    agent = get_agent(db, agent_id)
    if skills is not None:
        for department in skills:
            check_department(department)
    if tier is not None:
        check_tier(tier)
    if capacity is not None and not 1 <= capacity <= MAX_CAPACITY:
        raise InvalidInput("invalid_request", detail="capacity")
    if hourly_cap is not None and hourly_cap < 1:
        raise InvalidInput("invalid_request", detail="hourly_cap")
    profile = profile_of(db, clock, agent)
    wanted: dict[str, object] = {}
    if skills is not None:
        wanted["skills"] = list(dict.fromkeys(skills))
    if tier is not None:
        wanted["tier"] = tier
    if capacity is not None:
        wanted["capacity"] = capacity
    if hourly_cap is not None or clear_hourly_cap:
        wanted["hourly_cap"] = hourly_cap
    changes = {k: v for k, v in wanted.items() if getattr(profile, k) != v}
    if not changes:
        return profile
    before = {k: getattr(profile, k) for k in changes}
    for field, value in changes.items():
        setattr(profile, field, value)
    profile.updated_at = clock.now()
    record_audit(
        db,
        clock,
        actor=actor,
        action="routing.agent_profile.update",
        target_type="staff_user",
        target_id=agent.id,
        before=before,
        after=changes,
    )
    request_drain(db)
    return profile


def list_agents(db: Session) -> list[tuple[StaffUser, AgentProfile | None]]:
    """Every active staff member who works tickets, with their profile if they have one."""
    rows = db.execute(
        select(StaffUser, AgentProfile)
        .outerjoin(AgentProfile, AgentProfile.agent_id == StaffUser.id)
        .where(StaffUser.is_active.is_(True))
        .order_by(StaffUser.username)
    ).all()
    return [(user, profile) for user, profile in rows if works_tickets(user)]
