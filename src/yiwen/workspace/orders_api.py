"""Staff routes for customer 360, orders, actions within authority, card-key reveal and macros."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, Response, status
from fastapi.responses import JSONResponse
from sqlalchemy import select

from yiwen.auth.audit import Actor, record_audit
from yiwen.auth.models import StaffUser
from yiwen.auth.permissions import check_permission, has_permission
from yiwen.core.errors import InvalidInput
from yiwen.customers.service import get_customer
from yiwen.http.deps import (
    AppClock,
    AppSettings,
    CurrentStaff,
    DbSession,
    Store,
    require_permission,
)
from yiwen.http.errors import error_response
from yiwen.store.tasks import ACTION_LABELS
from yiwen.tickets import service as tickets
from yiwen.tickets.service import check_category
from yiwen.workspace import service
from yiwen.workspace.actions import (
    ActionRequest,
    order_actions,
    perform_order_action,
    refuse_unsupported_action,
)
from yiwen.workspace.models import Macro
from yiwen.workspace.overview import customer_overview, order_payload
from yiwen.workspace.schemas import (
    AgentOut,
    MacroIn,
    MacroOut,
    MacroPatch,
    OrderActionIn,
    OrderActionOut,
    Rendered,
    RenderRequest,
    RevealedKey,
    RevealRequest,
)

router = APIRouter(prefix="/api/v1", tags=["workspace"])

MacroManager = Annotated[StaffUser, Depends(require_permission("macro.manage"))]
IdempotencyKey = Annotated[
    str, Header(alias="Idempotency-Key", min_length=8, max_length=64, pattern=r"^[\w.:\-]+$")
]


@router.get("/customers/{customer_id}/overview")
def overview(
    customer_id: str,
    db: DbSession,
    clock: AppClock,
    store: Store,
    agent: Annotated[StaffUser, Depends(require_permission("customer.read"))],
) -> dict[str, Any]:
    """Customer 360: identities, orders of the last 90 days (payment, delivery, upstream
    pushes, masked card keys) and past tickets."""
    return customer_overview(db, clock, store, get_customer(db, customer_id))


@router.get("/orders")
def search_orders(
    store: Store,
    agent: Annotated[StaffUser, Depends(require_permission("order.read"))],
    order_no: Annotated[str | None, Query(min_length=4, max_length=64)] = None,
    contact: Annotated[str | None, Query(min_length=3, max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 20,
) -> list[dict[str, Any]]:
    """Orders by number or by the buyer's contact (email/phone), newest first, as summaries."""
    if not order_no and not contact:
        raise InvalidInput("order_query_empty")
    found = store.find_orders(order_no=order_no, contact=contact, limit=limit)
    return [asdict(summary) for summary in found]


@router.get("/orders/{order_no}")
def read_order(
    order_no: str,
    store: Store,
    agent: Annotated[StaffUser, Depends(require_permission("order.read"))],
) -> dict[str, Any]:
    """The order with keys masked, and ``actions``: what this shop can do for it, and for
    what it cannot, the task a shop owner must do by hand."""
    order = store.get_order(order_no)
    return {**order_payload(order), "actions": order_actions(store, order)}


@router.post(
    "/tickets/{ticket_id}/actions",
    status_code=status.HTTP_201_CREATED,
    responses={409: {"description": "action_not_supported: the shop owner's task"}},
    response_model=OrderActionOut,
)
def act_on_order(
    ticket_id: str,
    body: OrderActionIn,
    idempotency_key: IdempotencyKey,
    request: Request,
    response: Response,
    db: DbSession,
    clock: AppClock,
    settings: AppSettings,
    store: Store,
    agent: CurrentStaff,
) -> OrderActionOut | JSONResponse:
    """Resend, re-push, refund, coupon, freeze or replace a key, within the role's authority.

    ``Idempotency-Key`` is required: the same key again returns the first result
    (200) and never acts twice. An action the connected shop cannot do is a 409
    ``action_not_supported`` carrying ``task`` (what the shop owner must do by
    hand); it is audited and noted on the ticket, and nothing is sent to the shop.
    """
    ticket = tickets.get_ticket(db, ticket_id)
    action_request = ActionRequest(
        action=body.action,
        idempotency_key=idempotency_key,
        order_no=body.order_no,
        amount=body.amount,
        reason=body.reason,
        shop_user_id=body.shop_user_id,
        key_id=body.key_id,
    )
    refusal = refuse_unsupported_action(
        db, clock, store, agent=agent, ticket=ticket, request=action_request
    )
    if refusal is not None:
        # Answered, not raised: the request's transaction keeps the audit and the note.
        return error_response(
            request,
            status.HTTP_409_CONFLICT,
            "action_not_supported",
            params={
                "action": refusal.action,
                "label": ACTION_LABELS[refusal.action],
                "task": refusal.task,
            },
            extra={"action": refusal.action, "order_no": refusal.order_no, "task": refusal.task},
        )
    record, replayed = perform_order_action(
        db,
        clock,
        store,
        settings,
        agent=agent,
        ticket=ticket,
        request=action_request,
        max_chars=settings.message_max_chars,
    )
    if replayed:
        response.status_code = status.HTTP_200_OK
    return OrderActionOut(
        id=record.id,
        action=record.action,
        order_no=record.order_no,
        amount=record.amount,
        status=record.status,
        reference=record.reference,
        replayed=replayed,
        created_at=record.created_at,
    )


@router.post("/orders/{order_no}/card-keys/{key_id}/reveal")
def reveal(
    order_no: str,
    key_id: str,
    body: RevealRequest,
    db: DbSession,
    clock: AppClock,
    store: Store,
    agent: CurrentStaff,
) -> RevealedKey:
    """Show one card key in clear, for roles allowed to; the reveal is audited."""
    ticket = tickets.get_ticket(db, body.ticket_id) if body.ticket_id else None
    clear = service.reveal_card_key(
        db,
        clock,
        store,
        agent,
        order_no=order_no,
        key_id=key_id,
        ticket=ticket,
        reason=body.reason,
    )
    return RevealedKey(key_id=key_id, card_key=clear)


@router.get("/agents")
def agents(
    db: DbSession, agent: Annotated[StaffUser, Depends(require_permission("inbox.read"))]
) -> list[AgentOut]:
    """Active staff whose role works tickets: the people a ticket may be handed to."""
    rows = db.scalars(
        select(StaffUser).where(StaffUser.is_active.is_(True)).order_by(StaffUser.display_name)
    )
    return [AgentOut.model_validate(u) for u in rows if has_permission(u.role, "ticket.reply")]


@router.get("/macros")
def list_macros(
    db: DbSession,
    agent: Annotated[StaffUser, Depends(require_permission("ticket.reply"))],
    category: str | None = None,
    include_inactive: bool = False,
) -> list[MacroOut]:
    """Active macros for the reply box; ``include_inactive`` (macro.manage) for the admin list."""
    if include_inactive:
        check_permission(agent.role, "macro.manage")
    found = service.list_macros(db, category, include_inactive=include_inactive)
    return [MacroOut.model_validate(m) for m in found]


@router.post("/macros", status_code=status.HTTP_201_CREATED)
def create_macro(body: MacroIn, db: DbSession, clock: AppClock, agent: MacroManager) -> MacroOut:
    if body.category:
        check_category(body.category)
    now = clock.now()
    macro = Macro(
        title=body.title,
        body=body.body,
        category=body.category,
        created_by=agent.id,
        created_at=now,
        updated_at=now,
    )
    db.add(macro)
    db.flush()
    record_audit(
        db,
        clock,
        actor=Actor.staff(agent),
        action="macro.create",
        target_type="macro",
        target_id=macro.id,
        after={"title": macro.title},
    )
    return MacroOut.model_validate(macro)


@router.patch("/macros/{macro_id}")
def update_macro(
    macro_id: str, body: MacroPatch, db: DbSession, clock: AppClock, agent: MacroManager
) -> MacroOut:
    macro = service.get_macro(db, macro_id)
    changes = body.model_dump(exclude_unset=True)
    if changes.get("category"):
        check_category(changes["category"])
    before = {k: getattr(macro, k) for k in changes}
    for key, value in changes.items():
        setattr(macro, key, value)
    macro.updated_at = clock.now()
    record_audit(
        db,
        clock,
        actor=Actor.staff(agent),
        action="macro.update",
        target_type="macro",
        target_id=macro.id,
        before=before,
        after=changes,
    )
    return MacroOut.model_validate(macro)


@router.post("/macros/{macro_id}/render")
def render_macro(
    macro_id: str,
    body: RenderRequest,
    db: DbSession,
    agent: Annotated[StaffUser, Depends(require_permission("ticket.reply"))],
) -> Rendered:
    """The macro with ``{order_no}``, ``{ticket_no}``, ``{customer_name}``… filled in."""
    ticket = tickets.get_ticket(db, body.ticket_id) if body.ticket_id else None
    return Rendered(text=service.render_macro(db, service.get_macro(db, macro_id), ticket, agent))
