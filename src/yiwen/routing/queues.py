"""The queue catalogue (department × tier) and the category → queue map, both admin-editable.

The defaults are seeded by migration 0003; a category missing from the map
waits in general L1, so a new category never strands a ticket.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

import yiwen.routing.messages  # noqa: F401  (registers the texts)
from yiwen.auth.audit import Actor, record_audit
from yiwen.core.clock import Clock
from yiwen.core.errors import InvalidInput, NotFound
from yiwen.routing.models import CategoryRoute, RoutingQueue
from yiwen.tickets.service import check_category

DEPARTMENTS = ("general", "tech", "finance", "supplier_liaison", "security")
TIERS = ("L1", "L2")
FALLBACK_QUEUE = "general_l1"


def queue_key(department: str, tier: str) -> str:
    return f"{department}_{tier.lower()}"


def tier_rank(tier: str) -> int:
    return TIERS.index(tier) if tier in TIERS else 0


def check_department(department: str) -> None:
    if department not in DEPARTMENTS:
        raise InvalidInput("routing_unknown_department", department=department)


def check_tier(tier: str) -> None:
    if tier not in TIERS:
        raise InvalidInput("routing_unknown_tier", tier=tier)


def list_queues(db: Session) -> list[RoutingQueue]:
    return list(db.scalars(select(RoutingQueue).order_by(RoutingQueue.key)))


def get_queue(db: Session, key: str) -> RoutingQueue:
    queue = db.get(RoutingQueue, key)
    if queue is None:
        raise NotFound("routing_queue_not_found")
    return queue


def update_queue(
    db: Session,
    clock: Clock,
    key: str,
    *,
    actor: Actor,
    name: str | None = None,
    default_handle_minutes: int | None = None,
    arrival_floor_per_hour: int | None = None,
) -> RoutingQueue:
    queue = get_queue(db, key)
    changes = {
        field: value
        for field, value in (
            ("name", name.strip() if name is not None else None),
            ("default_handle_minutes", default_handle_minutes),
            ("arrival_floor_per_hour", arrival_floor_per_hour),
        )
        if value is not None and value != getattr(queue, field)
    }
    if not changes:
        return queue
    before = {field: getattr(queue, field) for field in changes}
    for field, value in changes.items():
        setattr(queue, field, value)
    queue.updated_at = clock.now()
    record_audit(
        db,
        clock,
        actor=actor,
        action="routing.queue.update",
        target_type="routing_queue",
        target_id=key,
        before=before,
        after=changes,
    )
    return queue


def category_map(db: Session) -> dict[str, str]:
    return {row.category: row.queue_key for row in db.scalars(select(CategoryRoute))}


def set_category_route(
    db: Session, clock: Clock, category: str, queue: str, *, actor: Actor
) -> CategoryRoute:
    """Point a category at a queue; tickets already waiting keep their queue."""
    check_category(category)
    get_queue(db, queue)
    route = db.get(CategoryRoute, category)
    before = route.queue_key if route is not None else None
    if route is None:
        route = CategoryRoute(category=category, queue_key=queue, updated_at=clock.now())
        db.add(route)
    elif route.queue_key == queue:
        return route
    route.queue_key = queue
    route.updated_at = clock.now()
    record_audit(
        db,
        clock,
        actor=actor,
        action="routing.category_route.update",
        target_type="routing_category",
        target_id=category,
        before={"queue": before},
        after={"queue": queue},
    )
    return route


def queue_for(db: Session, category: str | None, tier: str | None) -> RoutingQueue:
    """The queue of a ticket's category; a ticket escalated to a higher tier (``Ticket.tier``)
    waits in the same department's queue of that tier."""
    key = FALLBACK_QUEUE
    if category is not None:
        route = db.get(CategoryRoute, category)
        if route is not None:
            key = route.queue_key
    queue = db.get(RoutingQueue, key) or get_queue(db, FALLBACK_QUEUE)
    if tier in TIERS and tier_rank(tier) > tier_rank(queue.tier):
        queue = db.get(RoutingQueue, queue_key(queue.department, tier)) or queue
    return queue
