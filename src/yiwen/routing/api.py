"""Routing routes: admin configuration, agents' presence, the queue board, the customer's place."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from yiwen.auth.audit import Actor
from yiwen.auth.models import StaffUser
from yiwen.conversations.access import get_conversation_for
from yiwen.core.i18n import translate
from yiwen.customers.models import Customer
from yiwen.http.deps import AppClock, CurrentCustomer, DbSession, require_permission
from yiwen.routing import presence, queues, transparency, vip
from yiwen.routing.models import AgentProfile
from yiwen.routing.schemas import (
    AgentProfileOut,
    AgentProfilePatch,
    BoardAgentOut,
    BoardQueueOut,
    CategoryRouteOut,
    CategoryRoutePut,
    CustomerRoutingOut,
    CustomerRoutingPut,
    PresenceIn,
    QueueOut,
    QueuePatch,
    QueuePlaceOut,
)
from yiwen.routing.waiting import VIP_TIER
from yiwen.tickets.taxonomy import CATEGORIES

router = APIRouter(prefix="/api/v1/admin/routing", tags=["routing"])
agents = APIRouter(prefix="/api/v1/agents", tags=["routing"])
customer = APIRouter(prefix="/api/v1/customer", tags=["customer"])
ROUTERS = [router, agents, customer]

Manager = Annotated[StaffUser, Depends(require_permission("routing.manage"))]
# Presence is for those who take conversations.
Agent = Annotated[StaffUser, Depends(require_permission("ticket.reply"))]


@router.get("/queues")
def list_queues(db: DbSession, _: Manager) -> list[QueueOut]:
    return [QueueOut.model_validate(q) for q in queues.list_queues(db)]


@router.patch("/queues/{queue_key}")
def patch_queue(
    queue_key: str, body: QueuePatch, db: DbSession, clock: AppClock, who: Manager
) -> QueueOut:
    queue = queues.update_queue(
        db,
        clock,
        queue_key,
        actor=Actor.staff(who),
        name=body.name,
        default_handle_minutes=body.default_handle_minutes,
        arrival_floor_per_hour=body.arrival_floor_per_hour,
    )
    return QueueOut.model_validate(queue)


@router.get("/category-map")
def read_category_map(db: DbSession, _: Manager) -> list[CategoryRouteOut]:
    mapped = queues.category_map(db)
    return [
        CategoryRouteOut(category=c, queue=mapped.get(c, queues.FALLBACK_QUEUE)) for c in CATEGORIES
    ]


@router.put("/category-map/{category}")
def put_category_route(
    category: str, body: CategoryRoutePut, db: DbSession, clock: AppClock, who: Manager
) -> CategoryRouteOut:
    route = queues.set_category_route(db, clock, category, body.queue, actor=Actor.staff(who))
    return CategoryRouteOut(category=route.category, queue=route.queue_key)


@router.get("/agents")
def list_agents(db: DbSession, _: Manager) -> list[AgentProfileOut]:
    return [_profile_out(user, profile) for user, profile in presence.list_agents(db)]


@router.patch("/agents/{user_id}")
def patch_agent(
    user_id: str, body: AgentProfilePatch, db: DbSession, clock: AppClock, who: Manager
) -> AgentProfileOut:
    profile = presence.update_profile(
        db,
        clock,
        user_id,
        actor=Actor.staff(who),
        skills=body.skills,
        tier=body.tier,
        capacity=body.capacity,
        hourly_cap=body.hourly_cap,
        clear_hourly_cap="hourly_cap" in body.model_fields_set and body.hourly_cap is None,
    )
    return _profile_out(presence.get_agent(db, user_id), profile)


@router.get("/customers/{customer_id}")
def read_customer(customer_id: str, db: DbSession, _: Manager) -> CustomerRoutingOut:
    return _customer_out(vip.get_routing_customer(db, customer_id))


@router.put("/customers/{customer_id}")
def put_customer(
    customer_id: str, body: CustomerRoutingPut, db: DbSession, clock: AppClock, who: Manager
) -> CustomerRoutingOut:
    found = vip.set_customer_routing(
        db,
        clock,
        customer_id,
        vip=body.vip,
        dedicated_agent_id=body.dedicated_agent_id,
        actor=Actor.staff(who),
    )
    return _customer_out(found)


@router.get("/board")
def queue_board(db: DbSession, clock: AppClock, _: Manager) -> list[BoardQueueOut]:
    """The live queue board: waiting work and online agents per queue, with the model's figures."""
    return [
        BoardQueueOut(
            key=row.stats.queue.key,
            name=row.stats.queue.name,
            department=row.stats.queue.department,
            tier=row.stats.queue.tier,
            waiting=row.waiting,
            oldest_waiting_since=row.oldest_waiting_since,
            agents_online=row.stats.agents_online,
            slots=row.stats.slots,
            busy_slots=row.stats.busy,
            arrivals_per_hour=round(row.stats.arrivals_per_minute * 60, 2),
            handle_minutes=round(row.stats.handle_minutes, 2),
            probability_of_waiting=round(row.stats.probability_of_waiting, 4),
            new_arrival_wait_minutes=_rounded(row.stats.new_arrival_wait_minutes),
            agents=[BoardAgentOut(**vars(agent)) for agent in row.agents],
        )
        for row in transparency.queue_board(db, clock.now())
    ]


@agents.get("/me/presence")
def read_my_presence(db: DbSession, me: Agent) -> AgentProfileOut:
    return _profile_out(me, db.get(AgentProfile, me.id))


@agents.put("/me/presence")
def set_my_presence(body: PresenceIn, db: DbSession, clock: AppClock, me: Agent) -> AgentProfileOut:
    """Online takes work now; away and offline stop new work (what is held stays held)."""
    return _profile_out(me, presence.set_presence(db, clock, me, body.presence))


@customer.get("/conversations/{conversation_id}/queue")
def my_place_in_queue(
    conversation_id: str, db: DbSession, clock: AppClock, who: CurrentCustomer
) -> QueuePlaceOut:
    conversation = get_conversation_for(db, who, conversation_id)
    place = transparency.place_of_conversation(db, clock.now(), conversation)
    if place is None:
        code = "queue.assigned" if conversation.assignee_id else "queue.not_queued"
        return QueuePlaceOut(
            conversation_id=conversation.id,
            queued=False,
            queue=None,
            position=None,
            estimated_wait_minutes=None,
            agents_online=None,
            message=translate(code),
        )
    return QueuePlaceOut(conversation_id=conversation.id, queued=True, **vars(place))


def _profile_out(user: StaffUser, profile: AgentProfile | None) -> AgentProfileOut:
    skills, tier = presence.ROLE_DEFAULTS.get(user.role, (("general",), "L1"))
    return AgentProfileOut(
        agent_id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        skills=list(profile.skills) if profile else list(skills),
        tier=profile.tier if profile else tier,
        presence=profile.presence if profile else "offline",
        capacity=profile.capacity if profile else 5,
        hourly_cap=profile.hourly_cap if profile else None,
    )


def _customer_out(found: Customer) -> CustomerRoutingOut:
    return CustomerRoutingOut(
        customer_id=found.id,
        vip=found.tier == VIP_TIER,
        tier=found.tier,
        dedicated_agent_id=found.dedicated_agent_id,
    )


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 2)
