"""VIP customers and their dedicated agent (专属客服).

Kept on the customer record (``Customer.tier`` = "vip", ``dedicated_agent_id``),
the columns the core issue reserved for routing, so the SLA engine's
per-tier policies and routing read the same tier.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from yiwen.auth.audit import Actor, record_audit
from yiwen.core.clock import Clock
from yiwen.core.errors import NotFound
from yiwen.customers.models import Customer
from yiwen.routing.presence import get_agent
from yiwen.routing.waiting import VIP_TIER, request_drain

NORMAL_TIER = "normal"


def get_routing_customer(db: Session, customer_id: str) -> Customer:
    customer = db.get(Customer, customer_id)
    if customer is None:
        raise NotFound("routing_customer_not_found")
    return customer


def set_customer_routing(
    db: Session,
    clock: Clock,
    customer_id: str,
    *,
    vip: bool,
    dedicated_agent_id: str | None,
    actor: Actor,
) -> Customer:
    customer = get_routing_customer(db, customer_id)
    if dedicated_agent_id is not None:
        get_agent(db, dedicated_agent_id)
    tier = VIP_TIER if vip else (NORMAL_TIER if customer.tier == VIP_TIER else customer.tier)
    before = {"tier": customer.tier, "dedicated_agent_id": customer.dedicated_agent_id}
    after = {"tier": tier, "dedicated_agent_id": dedicated_agent_id}
    if before == after:
        return customer
    customer.tier = tier
    customer.dedicated_agent_id = dedicated_agent_id
    customer.updated_at = clock.now()
    record_audit(
        db,
        clock,
        actor=actor,
        action="routing.customer.update",
        target_type="customer",
        target_id=customer.id,
        before=before,
        after=after,
    )
    request_drain(db)
    return customer
