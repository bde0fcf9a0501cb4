"""Merging two customer records into one, and undoing it.

Every table with a ``customer_id`` column follows the merge: the schema is read
from the database itself, so a table added by any feature (now or later) moves
too, and the primary keys of what moved are recorded so an undo moves exactly
those rows back. Everything runs in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import column, inspect, select, table, tuple_, update
from sqlalchemy.orm import Session

from yiwen.auth.audit import Actor, record_audit
from yiwen.core.clock import Clock
from yiwen.customers.models import Customer
from yiwen.identity.models import CustomerMerge

IDENTITY_TABLE = "customer_identities"
CHUNK = 500


def customer_tables(db: Session) -> dict[str, list[str]]:
    """Each table holding a ``customer_id`` column, with its primary-key columns."""
    inspector = inspect(db.connection())
    found: dict[str, list[str]] = {}
    for name in sorted(inspector.get_table_names()):
        columns = {c["name"] for c in inspector.get_columns(name)}
        if "customer_id" not in columns:
            continue
        primary = inspector.get_pk_constraint(name).get("constrained_columns") or []
        if primary:
            found[name] = list(primary)
    return found


def survivor_and_absorbed(a: Customer, b: Customer) -> tuple[Customer, Customer]:
    """The older record survives, so ids already given out (tickets, links) keep working."""
    first, second = sorted((a, b), key=lambda c: (c.created_at, c.id))
    return first, second


def merge_customers(
    db: Session,
    clock: Clock,
    a: Customer,
    b: Customer,
    *,
    source: str,
    trigger_identity_id: str,
    actor: Actor,
) -> CustomerMerge:
    """Move everything of the younger record to the older one and record what moved."""
    survivor, absorbed = survivor_and_absorbed(a, b)
    db.flush()
    moved: dict[str, list[list[object]]] = {}
    for name, primary in customer_tables(db).items():
        rows = _move(db, name, primary, absorbed.id, survivor.id)
        if rows:
            moved[name] = rows
    before = _fields(survivor)
    survivor.tags = list(dict.fromkeys([*(survivor.tags or []), *(absorbed.tags or [])]))
    if survivor.tier == "normal" and absorbed.tier != "normal":
        survivor.tier = absorbed.tier
    survivor.dedicated_agent_id = survivor.dedicated_agent_id or absorbed.dedicated_agent_id
    survivor.display_name = survivor.display_name or absorbed.display_name
    now = clock.now()
    survivor.updated_at = now
    absorbed.updated_at = now
    record = CustomerMerge(
        survivor_id=survivor.id,
        absorbed_id=absorbed.id,
        source=source,
        trigger_identity_id=trigger_identity_id,
        identity_ids=[str(row[0]) for row in moved.get(IDENTITY_TABLE, [])],
        moved=moved,
        survivor_before=before,
        created_at=now,
    )
    db.add(record)
    db.flush()
    db.expire_all()
    record_audit(
        db,
        clock,
        actor=actor,
        action="customer.merge",
        target_type="customer",
        target_id=record.survivor_id,
        before={"absorbed_id": record.absorbed_id},
        after={
            "merge_id": record.id,
            "source": source,
            "identities": record.identity_ids,
            "moved": {name: len(rows) for name, rows in moved.items()},
        },
    )
    return record


def merge_that_brought(db: Session, identity_id: str, customer_id: str) -> CustomerMerge | None:
    """The latest standing merge that moved this identity to its current customer."""
    merges = db.scalars(
        select(CustomerMerge)
        .where(CustomerMerge.survivor_id == customer_id, CustomerMerge.undone_at.is_(None))
        .order_by(CustomerMerge.created_at.desc(), CustomerMerge.id.desc())
    )
    for merge in merges:
        if identity_id in merge.identity_ids:
            return merge
    return None


def undo_merge(db: Session, clock: Clock, merge: CustomerMerge, *, actor: Actor) -> dict[str, int]:
    """Move back what the merge moved and what still sits with the survivor.

    Rows created after the merge (a new conversation, a ticket opened later)
    stay with the survivor: nothing records which identity they belonged to.
    """
    db.flush()
    tables = customer_tables(db)
    returned: dict[str, int] = {}
    for name, rows in merge.moved.items():
        primary = tables.get(name)
        if primary is None:
            continue  # the table was dropped since; nothing to move back
        count = _move_back(db, name, primary, rows, merge.survivor_id, merge.absorbed_id)
        if count:
            returned[name] = count
    survivor = db.get(Customer, merge.survivor_id)
    absorbed = db.get(Customer, merge.absorbed_id)
    if survivor is not None and absorbed is not None:
        _restore_fields(survivor, absorbed, merge.survivor_before)
        survivor.updated_at = clock.now()
    merge.undone_at = clock.now()
    merge.undone_by = actor.id
    db.flush()
    db.expire_all()
    return returned


def _fields(customer: Customer) -> dict[str, object]:
    return {
        "tags": list(customer.tags or []),
        "tier": customer.tier,
        "dedicated_agent_id": customer.dedicated_agent_id,
        "display_name": customer.display_name,
    }


def _restore_fields(survivor: Customer, absorbed: Customer, before: dict[str, object]) -> None:
    """Take back what the merge added, unless staff changed it since."""
    kept = before.get("tags")
    kept_tags = set(kept) if isinstance(kept, list) else set()
    brought = set(absorbed.tags or []) - kept_tags
    survivor.tags = [t for t in (survivor.tags or []) if t not in brought]
    for name in ("tier", "dedicated_agent_id", "display_name"):
        if getattr(survivor, name) == getattr(absorbed, name) and name in before:
            setattr(survivor, name, before[name])


def _move(
    db: Session, name: str, primary: Sequence[str], source: str, target: str
) -> list[list[object]]:
    handle = table(name, column("customer_id"), *(column(p) for p in primary))
    keys = [
        list(row)
        for row in db.execute(
            select(*(handle.c[p] for p in primary)).where(handle.c.customer_id == source)
        )
    ]
    if keys:
        db.execute(update(handle).where(handle.c.customer_id == source).values(customer_id=target))
    return keys


def _move_back(
    db: Session,
    name: str,
    primary: Sequence[str],
    rows: Iterable[list[object]],
    holder: str,
    owner: str,
) -> int:
    handle = table(name, column("customer_id"), *(column(p) for p in primary))
    keys = list(rows)
    count = 0
    for start in range(0, len(keys), CHUNK):
        chunk = keys[start : start + CHUNK]
        if len(primary) == 1:
            match = handle.c[primary[0]].in_([key[0] for key in chunk])
        else:
            match = tuple_(*(handle.c[p] for p in primary)).in_([tuple(k) for k in chunk])
        result = db.execute(
            update(handle).where(match, handle.c.customer_id == holder).values(customer_id=owner)
        )
        count += int(getattr(result, "rowcount", 0) or 0)
    return count
