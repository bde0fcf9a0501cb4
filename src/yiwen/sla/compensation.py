"""Compensation for a broken resolution promise: a coupon from the shop, once per ticket.

The debt is written (``sla_compensations``, unique per ticket) with the breach,
before the shop is called, and carries the idempotency key the shop sees; that
key is derived from the ticket and the policy only. Paying locks the debt, calls
the shop with the key and records the coupon. If our transaction is lost after
the shop acted, the next sweep records the same breach, owes the same key, and
the shop replays its first coupon instead of issuing a second; an unreachable
shop leaves the debt pending for the next sweep.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from yiwen.auth.audit import Actor, record_audit
from yiwen.core.clock import Clock
from yiwen.core.errors import DomainError
from yiwen.core.events import emit
from yiwen.customers.models import Identity
from yiwen.sla.models import SlaCompensation, SlaPolicy, TicketSla
from yiwen.store.protocol import StoreConnector, StoreUnavailable
from yiwen.tickets import service as tickets
from yiwen.tickets.models import Ticket


def yuan(amount: Decimal) -> str:
    """ "5" rather than "5.00" in the customer's sentence."""
    return f"{amount.normalize():f}"


def owe_compensation(
    db: Session, clock: Clock, row: TicketSla, ticket: Ticket
) -> SlaCompensation | None:
    """Record the coupon the ticket's policy promises for a missed resolution (once)."""
    policy = db.get(SlaPolicy, row.policy_id) if row.policy_id else None
    if policy is None or not policy.compensation_coupon:
        return None
    existing = db.scalar(select(SlaCompensation).where(SlaCompensation.ticket_id == ticket.id))
    if existing is not None:
        return existing
    debt = SlaCompensation(
        ticket_id=ticket.id,
        policy_id=policy.id,
        amount=policy.compensation_coupon,
        idempotency_key=f"sla-compensation:{ticket.id}:{policy.id}",
        status="pending",
        attempts=0,
        created_at=clock.now(),
    )
    db.add(debt)
    db.flush()
    tickets.add_event(
        db,
        clock,
        ticket,
        "compensation_owed",
        Actor.system(),
        data={"amount": str(debt.amount), "policy_id": policy.id},
    )
    return debt


def pay_pending_compensations(
    db: Session, clock: Clock, store: StoreConnector, *, limit: int = 100
) -> int:
    """Try every unpaid compensation once; returns how many were issued now."""
    debts = db.scalars(
        select(SlaCompensation)
        .where(SlaCompensation.status == "pending")
        .order_by(SlaCompensation.created_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return sum(1 for debt in list(debts) if pay_compensation(db, clock, store, debt))


def _recipient(db: Session, ticket: Ticket) -> tuple[str | None, str | None]:
    shop_user_id = db.scalar(
        select(Identity.external_id).where(
            Identity.customer_id == ticket.customer_id, Identity.channel == "shop"
        )
    )
    return shop_user_id, ticket.contact


def pay_compensation(
    db: Session, clock: Clock, store: StoreConnector, debt: SlaCompensation
) -> bool:
    ticket = tickets.get_ticket(db, debt.ticket_id)
    shop_user_id, contact = _recipient(db, ticket)
    actor = Actor.system()
    if shop_user_id is None and contact is None:
        debt.status = "no_recipient"
        tickets.add_event(db, clock, ticket, "compensation_failed", actor, data={"reason": "none"})
        return False
    debt.attempts += 1
    try:
        result = store.issue_coupon(
            shop_user_id=shop_user_id,
            contact=contact,
            amount=debt.amount,
            reason=f"工单 {ticket.number} 处理超时补偿",
            idempotency_key=f"yiwen:{debt.idempotency_key}",
        )
    except StoreUnavailable as exc:
        debt.last_error = str(exc)[:500]
        return False
    except DomainError as exc:
        # The shop refuses for good (no such account…): staff must settle it by hand.
        debt.status = "refused"
        debt.last_error = exc.code
        tickets.add_event(
            db, clock, ticket, "compensation_failed", actor, data={"reason": exc.code}
        )
        return False
    debt.status = "issued"
    debt.reference = result.reference
    debt.issued_at = clock.now()
    record_audit(
        db,
        clock,
        actor=actor,
        action="sla.compensate",
        target_type="ticket",
        target_id=ticket.id,
        after={
            "amount": str(debt.amount),
            "coupon": result.reference,
            "idempotency_key": debt.idempotency_key,
        },
    )
    tickets.add_event(
        db,
        clock,
        ticket,
        "compensation",
        actor,
        visibility="public",
        data={
            "text_code": "sla.compensated",
            "text_params": {"amount": yuan(debt.amount)},
            "reference": result.reference,
        },
    )
    emit(
        db,
        "sla.compensated",
        ticket_id=ticket.id,
        amount=str(debt.amount),
        reference=result.reference,
    )
    return True
