"""A snapshot of the agents who can take work now, with their load, read in a few queries.

One assignment pass reads the snapshot once and keeps it current in memory as
it assigns, so deciding costs no query per agent (200 agents online, issue 4's
speed target). Load counts every open conversation or active ticket an agent
holds, however it got there (routing, a manual take or a transfer); a ticket
and its conversation count once. Tickets waiting on the customer, a supplier or
another team do not hold a seat.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import case, func, select, union
from sqlalchemy.orm import Session

from yiwen.auth.models import StaffUser
from yiwen.conversations.models import Conversation
from yiwen.core.clock import as_utc
from yiwen.routing.models import AgentProfile, AssignmentRecord, RoutingQueue
from yiwen.routing.queues import tier_rank
from yiwen.routing.waiting import WaitingItem
from yiwen.tickets.models import Ticket

LOADED_CONVERSATION_STATUSES = ("waiting", "open")
LOADED_TICKET_STATUSES = ("new", "open")
RETURNING_CUSTOMER_WINDOW = timedelta(days=30)
_NEVER = datetime.min.replace(tzinfo=UTC)


@dataclass
class AgentSeat:
    agent_id: str
    name: str
    departments: frozenset[str]
    tier: int
    capacity: int
    hourly_cap: int | None
    load: int = 0
    last_hour: int = 0
    last_assigned_at: datetime | None = None

    def serves(self, queue: RoutingQueue) -> bool:
        return queue.department in self.departments and self.tier >= tier_rank(queue.tier)

    @property
    def has_room(self) -> bool:
        return self.load < self.capacity

    @property
    def under_hourly_cap(self) -> bool:
        return self.hourly_cap is None or self.last_hour < self.hourly_cap


@dataclass
class AgentPool:
    seats: dict[str, AgentSeat] = field(default_factory=dict)
    by_department: dict[str, list[AgentSeat]] = field(default_factory=lambda: defaultdict(list))
    _serving: dict[str, list[AgentSeat]] = field(default_factory=dict)
    _full: set[str] = field(default_factory=set)

    @classmethod
    def load(cls, db: Session, now: datetime) -> AgentPool:
        rows = db.execute(
            select(
                AgentProfile.agent_id,
                StaffUser.display_name,
                AgentProfile.skills,
                AgentProfile.tier,
                AgentProfile.capacity,
                AgentProfile.hourly_cap,
            )
            .join(StaffUser, StaffUser.id == AgentProfile.agent_id)
            .where(AgentProfile.presence == "online", StaffUser.is_active.is_(True))
        ).all()
        pool = cls()
        for agent_id, name, skills, tier, capacity, hourly_cap in rows:
            seat = AgentSeat(
                agent_id=agent_id,
                name=name,
                departments=frozenset(skills or ()),
                tier=tier_rank(tier),
                capacity=capacity,
                hourly_cap=hourly_cap,
            )
            pool.seats[seat.agent_id] = seat
            for department in seat.departments:
                pool.by_department[department].append(seat)
        if pool.seats:
            pool._read_loads(db)
            pool._read_history(db, now)
        return pool

    def _read_loads(self, db: Session) -> None:
        ids = list(self.seats)
        work = union(
            select(Conversation.assignee_id.label("agent"), Conversation.id.label("work")).where(
                Conversation.assignee_id.in_(ids),
                Conversation.status.in_(LOADED_CONVERSATION_STATUSES),
            ),
            select(
                Ticket.assignee_id.label("agent"),
                func.coalesce(Ticket.conversation_id, Ticket.id).label("work"),
            ).where(Ticket.assignee_id.in_(ids), Ticket.status.in_(LOADED_TICKET_STATUSES)),
        ).subquery()
        for agent_id, count in db.execute(
            select(work.c.agent, func.count()).group_by(work.c.agent)
        ):
            self.seats[agent_id].load = count

    def _read_history(self, db: Session, now: datetime) -> None:
        hour_ago = now - timedelta(hours=1)
        for agent_id, last_hour, last_at in db.execute(
            select(
                AssignmentRecord.agent_id,
                func.sum(case((AssignmentRecord.at >= hour_ago, 1), else_=0)),
                func.max(AssignmentRecord.at),
            )
            .where(AssignmentRecord.agent_id.in_(list(self.seats)))
            .group_by(AssignmentRecord.agent_id)
        ):
            seat = self.seats[agent_id]
            seat.last_hour = int(last_hour or 0)
            seat.last_assigned_at = as_utc(last_at) if last_at is not None else None

    def serving(self, queue: RoutingQueue) -> list[AgentSeat]:
        """The seats serving a queue, those of the queue's own tier first (computed once)."""
        found = self._serving.get(queue.key)
        if found is None:
            wanted = tier_rank(queue.tier)
            found = sorted(
                (s for s in self.by_department.get(queue.department, ()) if s.serves(queue)),
                key=lambda s: s.tier - wanted,
            )
            self._serving[queue.key] = found
        return found

    def pick(
        self, item: WaitingItem, previous_agent_id: str | None
    ) -> tuple[AgentSeat, str] | None:
        """The agent for this work and the rule that chose them, or None to keep it waiting.

        The VIP's dedicated agent (专属客服) first, whatever the queue; then the
        customer's previous agent if they serve the queue; then the least-loaded
        agent serving it, those of the queue's own tier before senior ones,
        fewest assignments in the last hour and longest idle breaking ties.
        """
        dedicated = self.seats.get(item.dedicated_agent_id or "")
        if item.vip and dedicated is not None and dedicated.has_room:
            return dedicated, "dedicated"
        previous = self.seats.get(previous_agent_id or "")
        if previous is not None and previous.serves(item.queue) and previous.has_room:
            return previous, "returning"
        if item.queue.key in self._full:
            return None
        wanted = tier_rank(item.queue.tier)
        candidates = [s for s in self.serving(item.queue) if s.has_room and s.under_hourly_cap]
        if not candidates:
            # Seats only fill up during a pass: the rest of this queue waits too.
            self._full.add(item.queue.key)
            return None
        best = min(
            candidates,
            key=lambda s: (
                s.tier - wanted,
                s.load,
                s.last_hour,
                s.last_assigned_at or _NEVER,
                s.agent_id,
            ),
        )
        return best, "least_loaded"

    def note_assigned(self, seat: AgentSeat, now: datetime) -> None:
        seat.load += 1
        seat.last_hour += 1
        seat.last_assigned_at = now

    @property
    def any_room(self) -> bool:
        return any(seat.has_room for seat in self.seats.values())


def previous_agents(db: Session, customer_ids: list[str], now: datetime) -> dict[str, str]:
    """Each customer's most recent agent within the last 30 days."""
    if not customer_ids:
        return {}
    latest: dict[str, str] = {}
    for customer_id, agent_id in db.execute(
        select(AssignmentRecord.customer_id, AssignmentRecord.agent_id)
        .where(
            AssignmentRecord.customer_id.in_(customer_ids),
            AssignmentRecord.at >= now - RETURNING_CUSTOMER_WINDOW,
        )
        .order_by(AssignmentRecord.at, AssignmentRecord.id)
    ):
        latest[customer_id] = agent_id
    return latest
