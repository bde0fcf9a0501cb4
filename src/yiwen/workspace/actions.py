"""Agents acting on shop orders within their authority: resend, re-push, refund, coupon, freeze.

Each action is permission-checked against the agent's role, amount-checked
against the role's limit, idempotent by the caller's key, audited with the
order's state before and after, and written to the ticket's timeline.

Only what the connected shop declares (``capabilities_of``) is offered or
attempted: an undeclared action is never sent to the shop; it is refused with
the task a shop owner must do by hand, and the refusal is audited and noted on
the ticket (:func:`refuse_unsupported_action`).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal, get_args

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

import yiwen.workspace.messages  # noqa: F401  (registers the texts)
from yiwen.auth.audit import Actor, record_audit
from yiwen.auth.models import StaffUser
from yiwen.auth.permissions import check_amount_within_limit, check_permission
from yiwen.conversations import service as conversations
from yiwen.core.clock import Clock
from yiwen.core.errors import Conflict, InvalidInput
from yiwen.core.i18n import translate
from yiwen.core.money import CENT
from yiwen.core.settings import Settings
from yiwen.store.protocol import (
    ActionNotSupported,
    ActionResult,
    Order,
    StoreConnector,
    capabilities_of,
)
from yiwen.store.tasks import ACTION_LABELS, owner_task
from yiwen.tickets import service as tickets
from yiwen.tickets.models import Ticket
from yiwen.workspace.models import OrderAction

OrderActionName = Literal[
    "resend_delivery",
    "repush_upstream",
    "refund",
    "issue_coupon",
    "freeze_account",
    "unfreeze_account",
    "replace_card_key",
]
ORDER_ACTIONS: tuple[OrderActionName, ...] = get_args(OrderActionName)

PERMISSION_FOR: dict[str, str] = {
    "resend_delivery": "order.resend",
    "repush_upstream": "order.repush",
    "refund": "order.refund",
    "issue_coupon": "coupon.issue",
    "freeze_account": "account.freeze",
    "unfreeze_account": "account.freeze",
    # A fresh key from stock is a delivery, for the roles that resend deliveries.
    "replace_card_key": "order.resend",
}
# What the customer is told on the timeline; freezing is security business, kept internal.
CUSTOMER_VISIBLE = frozenset(
    {"resend_delivery", "repush_upstream", "refund", "issue_coupon", "replace_card_key"}
)
NEEDS_ORDER = frozenset({"resend_delivery", "repush_upstream", "refund", "replace_card_key"})


@dataclass(frozen=True)
class ShopOwnerTask:
    """An action the shop cannot do from outside, refused with what a human must do instead."""

    action: str
    order_no: str | None
    task: str


def order_actions(store: StoreConnector, order: Order) -> list[dict[str, object]]:
    """The order's action panel: each action, whether this shop can do it, else the hand task."""
    declared = capabilities_of(store)
    panel: list[dict[str, object]] = []
    for action in ORDER_ACTIONS:
        available = action in declared
        panel.append(
            {
                "action": action,
                "label": ACTION_LABELS[action],
                "available": available,
                "permission": PERMISSION_FOR[action],
                "task": None
                if available
                else owner_task(store, action, order=order, shop_user_id=order.shop_user_id),
            }
        )
    return panel


def refuse_unsupported_action(
    db: Session,
    clock: Clock,
    store: StoreConnector,
    *,
    agent: StaffUser,
    ticket: Ticket | None,
    request: ActionRequest,
) -> ShopOwnerTask | None:
    """None when the shop can do ``request``; else the recorded refusal with its hand task.

    Nothing is sent to the shop. The refusal is audited and, on a ticket, left as an
    internal note with the task, so the case shows who must do what by hand.
    """
    check_permission(agent.role, PERMISSION_FOR[request.action])
    if request.action in capabilities_of(store):
        return None
    order = store.get_order(request.order_no) if request.order_no else None
    amount = request.amount
    if request.action == "refund" and amount is None and order is not None:
        amount = order.refundable_amount
    task = owner_task(
        store,
        request.action,
        order=order,
        amount=amount,
        shop_user_id=request.shop_user_id or (order.shop_user_id if order else None),
        reason=request.reason,
    )
    refusal = ShopOwnerTask(request.action, order.order_no if order else None, task)
    actor = Actor.staff(agent)
    record_audit(
        db,
        clock,
        actor=actor,
        action="order.action_not_supported",
        target_type="order" if order else "account",
        target_id=(order.order_no if order else request.shop_user_id) or "",
        after={
            "action": request.action,
            "task": task,
            "connector": store.name,
            "amount": None if amount is None else str(amount),
            "ticket": ticket.number if ticket else None,
        },
    )
    if ticket is not None:
        if order is not None:
            tickets.link_order(db, clock, ticket, order.order_no, actor=actor)
        tickets.add_event(
            db,
            clock,
            ticket,
            "action.needs_shop_owner",
            actor,
            visibility="internal",
            body=task,
            data={"action": request.action, "order_no": refusal.order_no, "task": task},
        )
    return refusal


@dataclass(frozen=True)
class ActionRequest:
    action: OrderActionName
    idempotency_key: str
    order_no: str | None = None
    amount: Decimal | None = None
    reason: str = ""
    shop_user_id: str | None = None
    key_id: str | None = None  # the dead key, for replace_card_key


def perform_order_action(
    db: Session,
    clock: Clock,
    store: StoreConnector,
    settings: Settings,
    *,
    agent: StaffUser,
    ticket: Ticket | None,
    request: ActionRequest,
    max_chars: int,
) -> tuple[OrderAction, bool]:
    """Do the action once; returns (record, replayed)."""
    check_permission(agent.role, PERMISSION_FOR[request.action])
    previous = _find_by_key(db, request.idempotency_key)
    if previous is not None:
        return _check_replay(previous, request, ticket), True
    if request.action in NEEDS_ORDER and not request.order_no:
        raise InvalidInput("order_no_required_for_action")
    if request.action == "replace_card_key" and not request.key_id:
        raise InvalidInput("key_id_required_for_action")
    if request.action not in capabilities_of(store):
        # Callers refuse first with refuse_unsupported_action; never send it to the shop.
        raise ActionNotSupported(request.action, task=ACTION_LABELS[request.action])
    order = store.get_order(request.order_no) if request.order_no else None
    amount = _amount_for(request, order)
    if request.action == "refund":
        check_amount_within_limit(settings, agent.role, "refund", amount or Decimal("0"))
    if request.action == "issue_coupon":
        check_amount_within_limit(settings, agent.role, "coupon", amount or Decimal("0"))
    shop_user_id = request.shop_user_id or (order.shop_user_id if order else None)
    result = _call_store(store, request, amount, shop_user_id, order)
    after = store.get_order(order.order_no) if order else None
    record = OrderAction(
        idempotency_key=request.idempotency_key,
        action=request.action,
        order_no=order.order_no if order else None,
        shop_user_id=shop_user_id,
        amount=result.amount if result.amount is not None else amount,
        ticket_id=ticket.id if ticket else None,
        actor_type="staff",
        actor_id=agent.id,
        reason=request.reason,
        status=result.status,
        reference=result.reference,
        result={
            "detail": dict(result.detail),
            "replayed_at_shop": result.replayed,
            "request": _request_fingerprint(request, ticket),
        },
        created_at=clock.now(),
    )
    try:
        with db.begin_nested():
            db.add(record)
            db.flush()
    except IntegrityError:
        # A concurrent copy of this request (a client's hasty retry) recorded it first; the
        # shop replayed it for us (same derived key), so answer as a replay of that one.
        raced = _find_by_key(db, request.idempotency_key)
        if raced is None:
            raise
        return _check_replay(raced, request, ticket), True
    actor = Actor.staff(agent)
    record_audit(
        db,
        clock,
        actor=actor,
        action=f"order.{request.action}",
        target_type="order" if order else "account",
        target_id=(order.order_no if order else shop_user_id) or "",
        before=_snapshot(order),
        after={
            **_snapshot(after),
            "reference": result.reference,
            "amount": str(record.amount) if record.amount else None,
        },
    )
    if ticket is not None:
        _write_to_ticket(db, clock, ticket, record, actor, max_chars=max_chars)
    return record, False


def _find_by_key(db: Session, idempotency_key: str) -> OrderAction | None:
    return db.scalar(select(OrderAction).where(OrderAction.idempotency_key == idempotency_key))


def _amount_for(request: ActionRequest, order: Order | None) -> Decimal | None:
    if request.action == "refund":
        if request.amount is not None:
            return request.amount
        return order.refundable_amount if order else None
    if request.action == "issue_coupon":
        if request.amount is None:
            raise InvalidInput("amount_required")
        return request.amount
    return None


def _call_store(
    store: StoreConnector,
    request: ActionRequest,
    amount: Decimal | None,
    shop_user_id: str | None,
    order: Order | None,
) -> ActionResult:
    # The shop sees a key derived from ours: a retry after a lost commit replays there.
    key = f"yiwen:{request.idempotency_key}"
    order_no = order.order_no if order else ""
    match request.action:
        case "resend_delivery":
            return store.resend_delivery(order_no, idempotency_key=key)
        case "repush_upstream":
            return store.repush_upstream(order_no, idempotency_key=key)
        case "refund":
            return store.refund(order_no, amount, reason=request.reason, idempotency_key=key)
        case "issue_coupon":
            assert amount is not None
            return store.issue_coupon(
                shop_user_id=shop_user_id,
                contact=order.contact if order else None,
                amount=amount,
                reason=request.reason,
                idempotency_key=key,
            )
        case "replace_card_key":
            assert request.key_id is not None
            return store.replace_card_key(
                order_no, request.key_id, reason=request.reason, idempotency_key=key
            )
        case "freeze_account" | "unfreeze_account":
            if not shop_user_id:
                raise InvalidInput("shop_user_required")
            act = (
                store.freeze_account
                if request.action == "freeze_account"
                else (store.unfreeze_account)
            )
            return act(shop_user_id, reason=request.reason, idempotency_key=key)


def _request_fingerprint(request: ActionRequest, ticket: Ticket | None) -> dict[str, object]:
    """What makes two requests the same one: all but the free-text reason (a retry may
    reword it). "Refund 30" and "refund the rest" differ even when the rest is 30."""
    return {
        "action": request.action,
        "ticket_id": ticket.id if ticket else None,
        "order_no": request.order_no,
        "amount": None if request.amount is None else str(request.amount.quantize(CENT)),
        "shop_user_id": request.shop_user_id,
        "key_id": request.key_id,
    }


def _check_replay(
    previous: OrderAction, request: ActionRequest, ticket: Ticket | None
) -> OrderAction:
    if (previous.result or {}).get("request") != _request_fingerprint(request, ticket):
        raise Conflict("idempotency_key_reused")
    return previous


def _snapshot(order: Order | None) -> dict[str, object]:
    if order is None:
        return {}
    return {
        "status": order.status,
        "refunded_amount": str(order.refunded_amount),
        "delivery_status": order.delivery.status,
        "resend_count": order.delivery.resend_count,
    }


def _write_to_ticket(
    db: Session, clock: Clock, ticket: Ticket, record: OrderAction, actor: Actor, *, max_chars: int
) -> None:
    params: dict[str, object] = {
        "order_no": record.order_no or "",
        "amount": str(record.amount) if record.amount is not None else "",
        "code": record.reference,
        "shop_user_id": record.shop_user_id or "",
    }
    visible = record.action in CUSTOMER_VISIBLE
    if record.order_no:
        tickets.link_order(db, clock, ticket, record.order_no, actor=actor)
    tickets.add_event(
        db,
        clock,
        ticket,
        f"action.{record.action}",
        actor,
        visibility="public" if visible else "internal",
        body=record.reason,
        data={
            "text_code": f"action.{record.action}",
            "text_params": params,
            "reference": record.reference,
            "status": record.status,
            "action_id": record.id,
        },
    )
    if visible and ticket.conversation_id:
        conversation = conversations.get_conversation(db, ticket.conversation_id)
        conversations.post_staff_message(
            db,
            clock,
            conversation,
            sender_type="system",
            sender_id=None,
            sender_name=None,
            body=translate(f"action.{record.action}", **params),
            max_chars=max_chars,
            ticket_id=ticket.id,
        )
