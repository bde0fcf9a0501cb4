"""Identity routes: the customer proves an identity (public API); staff see and unlink them.

Customer routes (conversation token or ``X-Shop-Token``), under /api/v1/customer/identity:
start a code, confirm it, prove an order's purchase contact, present a shop token.
Staff routes under /api/v1/customers/{id}: identities with how each was verified,
the merges, unlinking (``identity.manage``) and the cross-channel history.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, status
from fastapi.responses import JSONResponse

from yiwen.auth.audit import Actor
from yiwen.auth.models import StaffUser
from yiwen.customers.service import get_customer
from yiwen.http.deps import (
    AppClock,
    AppSettings,
    CurrentCustomer,
    DbSession,
    Store,
    require_permission,
)
from yiwen.http.errors import error_response
from yiwen.identity import codes, history, service
from yiwen.identity.schemas import (
    ConfirmVerification,
    CustomerHistory,
    CustomerIdentities,
    HistoryConversation,
    HistoryMessage,
    IdentityOut,
    LinkedOut,
    MergeOut,
    OrderProof,
    ShopTokenProof,
    StartVerification,
    UnlinkedOut,
    UnlinkIdentity,
    VerificationStarted,
)

customer_router = APIRouter(prefix="/api/v1/customer/identity", tags=["customer"])
staff_router = APIRouter(prefix="/api/v1/customers", tags=["workspace"])
ROUTERS = [customer_router, staff_router]

Reader = Annotated[StaffUser, Depends(require_permission("customer.read"))]
Manager = Annotated[StaffUser, Depends(require_permission("identity.manage"))]
Id = Annotated[str, Path(max_length=32)]


def _linked(linked: service.Linked) -> LinkedOut:
    return LinkedOut(
        channel=linked.identity.channel,
        verified=linked.identity.verified,
        merged=linked.merge is not None,
    )


@customer_router.post("/verifications", status_code=status.HTTP_201_CREATED)
def start_verification(
    body: StartVerification,
    db: DbSession,
    clock: AppClock,
    settings: AppSettings,
    who: CurrentCustomer,
) -> VerificationStarted:
    """Send a 6-digit code (valid 10 minutes) to an email address or a mobile number."""
    sent = codes.send_code(db, clock, settings, customer_id=who.customer_id, contact=body.contact)
    return VerificationStarted(
        id=sent.attempt.id,
        channel=sent.attempt.channel,
        masked_target=sent.masked_target,
        expires_at=sent.attempt.expires_at,
        resend_after=sent.resend_after,
    )


@customer_router.post(
    "/verifications/{verification_id}/confirm",
    response_model=LinkedOut,
    responses={422: {"description": "wrong code"}, 409: {"description": "locked/expired/used"}},
)
def confirm_verification(
    verification_id: Id,
    body: ConfirmVerification,
    request: Request,
    db: DbSession,
    clock: AppClock,
    settings: AppSettings,
    who: CurrentCustomer,
) -> LinkedOut | JSONResponse:
    """Return the code; the email/phone is then linked (and merged with its other record)."""
    checked = codes.check_code(
        db,
        clock,
        settings,
        customer_id=who.customer_id,
        attempt_id=verification_id,
        code=body.code,
    )
    # A wrong code is answered without raising, so the counted attempt is committed.
    if checked.outcome == "wrong":
        return error_response(
            request, 422, "identity_code_wrong", params={"left": checked.attempts_left}
        )
    if checked.outcome == "locked" or checked.linked is None:
        return error_response(request, 409, "identity_code_locked")
    return _linked(checked.linked)


@customer_router.post(
    "/order-proofs",
    response_model=LinkedOut,
    responses={422: {"description": "no match (the failure is counted)"}},
)
def prove_order(
    body: OrderProof,
    request: Request,
    db: DbSession,
    clock: AppClock,
    store: Store,
    who: CurrentCustomer,
) -> LinkedOut | JSONResponse:
    """Name an order and the contact used to buy it; if the shop agrees, the contact is linked."""
    linked = service.prove_order_contact(
        db,
        clock,
        store,
        customer_id=who.customer_id,
        order_no=body.order_no,
        contact=body.contact,
    )
    if linked is None:
        # Committed, so the failure counts against the guessing budget.
        return error_response(request, 422, "identity_order_proof_failed")
    return _linked(linked)


@customer_router.post("/shop-token")
def prove_shop_account(
    body: ShopTokenProof,
    db: DbSession,
    clock: AppClock,
    settings: AppSettings,
    who: CurrentCustomer,
) -> LinkedOut:
    """Present a token the shop signed for its user id; the shop account is linked."""
    linked = service.link_shop_token(
        db, clock, settings, customer_id=who.customer_id, token=body.token
    )
    return _linked(linked)


@staff_router.get("/{customer_id}/identities")
def list_identities(customer_id: Id, db: DbSession, _: Reader) -> CustomerIdentities:
    """Every identity of the customer, how each was verified, and the merges involving it."""
    customer = get_customer(db, customer_id)
    identities = list(customer.identities)
    proofs = service.proofs_of(db, identities)
    merges = service.merges_of(db, customer.id)
    brought: dict[str, str] = {}
    for merge in reversed(merges):
        if merge.undone_at is None and merge.survivor_id == customer.id:
            for identity_id in merge.identity_ids:
                brought[identity_id] = merge.id
    items = []
    for identity in identities:
        proof = proofs.get(identity.id)
        items.append(
            IdentityOut(
                id=identity.id,
                channel=identity.channel,
                external_id=identity.external_id,
                verified=identity.verified,
                source=service.verification_source(identity, proof),
                reference=proof.reference if proof else None,
                verified_at=proof.verified_at if proof else None,
                merge_id=brought.get(identity.id),
                created_at=identity.created_at,
            )
        )
    return CustomerIdentities(
        customer_id=customer.id,
        merged_into=service.merged_into(db, customer.id),
        identities=items,
        merges=[
            MergeOut(
                id=m.id,
                survivor_id=m.survivor_id,
                absorbed_id=m.absorbed_id,
                source=m.source,
                trigger_identity_id=m.trigger_identity_id,
                identity_ids=list(m.identity_ids),
                moved={name: len(rows) for name, rows in m.moved.items()},
                created_at=m.created_at,
                undone_at=m.undone_at,
            )
            for m in merges
        ],
    )


@staff_router.post("/{customer_id}/identities/{identity_id}/unlink")
def unlink(
    customer_id: Id,
    identity_id: Id,
    body: UnlinkIdentity,
    db: DbSession,
    clock: AppClock,
    staff: Manager,
) -> UnlinkedOut:
    """Detach an identity; if a merge brought it, the merge is undone (see docs/channels.md)."""
    result = service.unlink_identity(
        db,
        clock,
        customer_id=customer_id,
        identity_id=identity_id,
        actor=Actor.staff(staff),
        reason=body.reason,
    )
    return UnlinkedOut(
        identity_id=result.identity_id,
        customer_id=result.customer_id,
        merge_undone=result.merge_undone,
        returned=result.returned,
    )


@staff_router.get("/{customer_id}/history")
def customer_history(
    customer_id: Id,
    db: DbSession,
    _: Reader,
    after: Annotated[int | None, Query(ge=0, le=2**62)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
) -> CustomerHistory:
    """All conversations of the customer on every channel, messages in one timeline."""
    customer = get_customer(db, customer_id)
    found = history.conversations_of(db, customer.id)
    messages, next_cursor = history.messages_of(db, [c.id for c in found], after=after, limit=limit)
    return CustomerHistory(
        customer_id=customer.id,
        conversations=[HistoryConversation.model_validate(c) for c in found],
        messages=[HistoryMessage.model_validate(m) for m in messages],
        next_cursor=next_cursor,
    )
