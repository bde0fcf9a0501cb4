"""Linking identities to customers on proof, and unlinking them.

An identity is linked to a customer only on proof: a code returned from the
email/phone (:mod:`yiwen.identity.codes`), the purchase contact of an order
checked with the shop, or a token the shop signed for its user id. When the
proven identity already belongs to another customer record, the two records
are merged (:mod:`yiwen.identity.merge`). A claim alone (a contact typed into a
form, an order number in a message) never links or merges anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yiwen.auth.audit import Actor, record_audit
from yiwen.conversations.access import verify_shop_token
from yiwen.core.clock import Clock
from yiwen.core.errors import Conflict, InvalidInput, NotFound, RateLimited
from yiwen.core.settings import Settings
from yiwen.customers.models import Customer, Identity
from yiwen.customers.service import get_customer, normalise_contact
from yiwen.identity import messages as _messages  # noqa: F401  (registers the texts)
from yiwen.identity.merge import merge_customers, merge_that_brought, undo_merge
from yiwen.identity.models import CustomerMerge, IdentityProof, VerificationAttempt
from yiwen.store.protocol import OrderNotFound, StoreConnector

ORDER_PROOF_WINDOW = timedelta(hours=1)
ORDER_PROOF_FAILURES = 5


@dataclass(frozen=True)
class Linked:
    """The identity now verified, the customer record holding it, and the merge, if any."""

    identity: Identity
    customer_id: str
    merge: CustomerMerge | None


@dataclass(frozen=True)
class Unlinked:
    identity_id: str
    customer_id: str  # the record the identity belongs to now
    merge_undone: str | None
    returned: dict[str, int]


def link_verified_identity(
    db: Session,
    clock: Clock,
    *,
    customer_id: str,
    channel: str,
    external_id: str,
    source: str,
    reference: str | None,
    actor: Actor,
) -> Linked:
    """Give ``customer_id`` the proven identity.

    If another record holds it verified (its platform vouched, or it was proven
    before), the two records are one person and are merged. If another record
    holds it only as a claim, the identity alone moves: an unverified claim
    never pulls the prover's history into the claimant's record.
    """
    customer = get_customer(db, customer_id)
    now = clock.now()
    identity = db.scalar(
        select(Identity).where(Identity.channel == channel, Identity.external_id == external_id)
    )
    merge: CustomerMerge | None = None
    if identity is None:
        identity = Identity(
            customer_id=customer.id,
            channel=channel,
            external_id=external_id,
            verified=False,
            created_at=now,
        )
        db.add(identity)
        db.flush()
    elif identity.customer_id != customer.id and not identity.verified:
        # Someone merely claimed it (typed it into a form): the claim gives way to the
        # proof, and nothing of the claimant's history comes along.
        identity.customer_id = customer.id
        db.flush()
        db.refresh(identity)
    elif identity.customer_id != customer.id:
        merge = merge_customers(
            db,
            clock,
            customer,
            identity.customer,
            source=source,
            trigger_identity_id=identity.id,
            actor=actor,
        )
        db.refresh(identity)
    proof = db.get(IdentityProof, identity.id)
    if proof is None:
        proof = IdentityProof(identity_id=identity.id, was_verified=bool(identity.verified))
        db.add(proof)
    proof.source = source
    proof.reference = reference
    proof.verified_at = now
    identity.verified = True
    db.flush()
    holder = identity.customer_id
    record_audit(
        db,
        clock,
        actor=actor,
        action="identity.link",
        target_type="customer",
        target_id=holder,
        after={
            "identity_id": identity.id,
            "channel": channel,
            "source": source,
            "merge_id": merge.id if merge else None,
        },
    )
    return Linked(identity, holder, merge)


def prove_order_contact(
    db: Session,
    clock: Clock,
    store: StoreConnector,
    *,
    customer_id: str,
    order_no: str,
    contact: str,
) -> Linked | None:
    """The customer names an order and the contact used to buy it; the shop must agree.

    Returns None for a mismatch (also for an unknown order: no oracle for which
    numbers exist). Every check is stored, and failures are limited per customer
    and per order, so the purchase contact cannot be guessed. The caller must
    commit a failure too.
    """
    channel, value = normalise_contact(contact)
    now = clock.now()
    order_no = order_no.strip()
    if not order_no:
        raise InvalidInput("identity_order_proof_failed")
    _check_order_proof_budget(db, now, customer_id=customer_id, order_no=order_no)
    attempt = VerificationAttempt(
        customer_id=customer_id,
        method="order_contact",
        channel=channel,
        target=value,
        order_no=order_no[:64],
        attempts=1,
        status="failed",
        expires_at=now,
        created_at=now,
    )
    db.add(attempt)
    db.flush()
    try:
        order = store.get_order(order_no)
    except OrderNotFound:
        return None
    if not order.contact or not _same_contact(order.contact, value):
        return None
    attempt.status = "confirmed"
    attempt.confirmed_at = now
    return link_verified_identity(
        db,
        clock,
        customer_id=customer_id,
        channel=channel,
        external_id=value,
        source="order_contact",
        reference=order.order_no,
        actor=Actor.customer(customer_id),
    )


def link_shop_token(
    db: Session, clock: Clock, settings: Settings, *, customer_id: str, token: str
) -> Linked:
    """A token the shop signed (``<user id>.<expires>.<hmac>``) proves its shop account."""
    shop_user_id = verify_shop_token(settings.resolved_shop_token_secret(), token, clock.now())
    return link_verified_identity(
        db,
        clock,
        customer_id=customer_id,
        channel="shop",
        external_id=shop_user_id,
        source="shop_token",
        reference=None,
        actor=Actor.customer(customer_id),
    )


def unlink_identity(
    db: Session,
    clock: Clock,
    *,
    customer_id: str,
    identity_id: str,
    actor: Actor,
    reason: str = "",
) -> Unlinked:
    """Detach an identity from its customer (staff only, audited).

    If a merge brought the identity here, that merge is undone: every identity
    and row it moved that still sits with this customer goes back to the
    absorbed record. Otherwise the identity alone moves to a fresh customer
    record with no history. Either way the identity's own proof is withdrawn
    (its verified flag returns to what it was before the proof).
    """
    identity = db.get(Identity, identity_id)
    if identity is None or identity.customer_id != customer_id:
        raise NotFound("identity_not_found")
    merge = merge_that_brought(db, identity.id, customer_id)
    returned: dict[str, int] = {}
    if merge is not None:
        returned = undo_merge(db, clock, merge, actor=actor)
        db.refresh(identity)
    else:
        count = db.scalar(
            select(func.count()).select_from(Identity).where(Identity.customer_id == customer_id)
        )
        if (count or 0) <= 1:
            raise Conflict("identity_last_one")
        now = clock.now()
        fresh = Customer(tags=[], created_at=now, updated_at=now)
        db.add(fresh)
        db.flush()
        identity.customer_id = fresh.id
    proof = db.get(IdentityProof, identity.id)
    if proof is not None:
        identity.verified = proof.was_verified
        db.delete(proof)
    db.flush()
    result = Unlinked(identity.id, identity.customer_id, merge.id if merge else None, returned)
    record_audit(
        db,
        clock,
        actor=actor,
        action="identity.unlink",
        target_type="customer",
        target_id=customer_id,
        before={"identity_id": identity.id, "channel": identity.channel},
        after={
            "now_with": result.customer_id,
            "merge_undone": result.merge_undone,
            "returned": returned,
            "reason": reason,
        },
    )
    return result


def verification_source(identity: Identity, proof: IdentityProof | None) -> str:
    """Why the identity is trusted: its proof, its platform, or nothing (a claim)."""
    if proof is not None:
        return proof.source
    if not identity.verified:
        return "unverified"
    return "shop_token" if identity.channel == "shop" else "channel"


def proofs_of(db: Session, identities: list[Identity]) -> dict[str, IdentityProof]:
    ids = [i.id for i in identities]
    if not ids:
        return {}
    return {
        p.identity_id: p
        for p in db.scalars(select(IdentityProof).where(IdentityProof.identity_id.in_(ids)))
    }


def merges_of(db: Session, customer_id: str) -> list[CustomerMerge]:
    return list(
        db.scalars(
            select(CustomerMerge)
            .where(
                (CustomerMerge.survivor_id == customer_id)
                | (CustomerMerge.absorbed_id == customer_id)
            )
            .order_by(CustomerMerge.created_at.desc())
            .limit(100)
        )
    )


def merged_into(db: Session, customer_id: str) -> str | None:
    """The record an absorbed customer now lives in (following merges that still stand)."""
    seen = {customer_id}
    current = customer_id
    while True:
        merge = db.scalar(
            select(CustomerMerge)
            .where(CustomerMerge.absorbed_id == current, CustomerMerge.undone_at.is_(None))
            .order_by(CustomerMerge.created_at.desc())
            .limit(1)
        )
        if merge is None:
            return None if current == customer_id else current
        if merge.survivor_id in seen:
            return current
        current = merge.survivor_id
        seen.add(current)


def _same_contact(order_contact: str, value: str) -> bool:
    try:
        return normalise_contact(order_contact)[1] == value
    except InvalidInput:
        return order_contact.strip().lower() == value


def _check_order_proof_budget(
    db: Session, now: datetime, *, customer_id: str, order_no: str
) -> None:
    since = now - ORDER_PROOF_WINDOW
    failed = (
        select(func.count())
        .select_from(VerificationAttempt)
        .where(
            VerificationAttempt.method == "order_contact",
            VerificationAttempt.status == "failed",
            VerificationAttempt.created_at > since,
        )
    )
    by_customer = db.scalar(failed.where(VerificationAttempt.customer_id == customer_id)) or 0
    by_order = db.scalar(failed.where(VerificationAttempt.order_no == order_no[:64])) or 0
    if by_customer >= ORDER_PROOF_FAILURES or by_order >= ORDER_PROOF_FAILURES:
        raise RateLimited("identity_order_proof_limited")
