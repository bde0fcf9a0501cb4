"""The audit log: who did what to which record, with the values before and after.

Append-only by construction: this module offers a way to write an entry and
ways to read them, and nothing that updates or deletes one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Literal

from sqlalchemy import JSON, ColumnElement, Index, String, and_, or_, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from yiwen.core.clock import Clock
from yiwen.core.cursor import decode_cursor, encode_cursor
from yiwen.core.db import Base
from yiwen.core.ids import new_id

if TYPE_CHECKING:
    from yiwen.auth.models import StaffUser

ActorKind = Literal["staff", "customer", "bot", "system"]
MAX_PAGE = 200


@dataclass(frozen=True)
class Actor:
    """Who acted: a staff member, a customer, the bot or the system itself."""

    kind: ActorKind
    id: str | None
    name: str | None

    @classmethod
    def staff(cls, user: StaffUser) -> Actor:
        return cls("staff", user.id, user.display_name)

    @classmethod
    def customer(cls, customer_id: str) -> Actor:
        return cls("customer", customer_id, None)

    @classmethod
    def bot(cls) -> Actor:
        return cls("bot", None, "bot")

    @classmethod
    def system(cls) -> Actor:
        return cls("system", None, "system")


class AuditEntry(Base):
    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_at", "at", "id"),
        Index("ix_audit_target", "target_type", "target_id", "at"),
        Index("ix_audit_actor", "actor_id", "at"),
        Index("ix_audit_action", "action", "at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    at: Mapped[datetime]
    actor_type: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[str | None] = mapped_column(String(64))
    actor_name: Mapped[str | None] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str] = mapped_column(String(40))
    target_id: Mapped[str] = mapped_column(String(128))
    before: Mapped[dict[str, object] | None] = mapped_column(JSON)
    after: Mapped[dict[str, object] | None] = mapped_column(JSON)
    ip: Mapped[str | None] = mapped_column(String(45))
    request_id: Mapped[str | None] = mapped_column(String(64))


def record_audit(
    db: Session,
    clock: Clock,
    *,
    actor: Actor,
    action: str,
    target_type: str,
    target_id: str,
    before: Mapping[str, object] | None = None,
    after: Mapping[str, object] | None = None,
    ip: str | None = None,
    request_id: str | None = None,
) -> AuditEntry:
    """Write one entry in the caller's transaction, so it exists exactly when the action does."""
    entry = AuditEntry(
        at=clock.now(),
        actor_type=actor.kind,
        actor_id=actor.id,
        actor_name=actor.name,
        action=action,
        target_type=target_type,
        target_id=target_id,
        before=_json_object(before),
        after=_json_object(after),
        ip=ip,
        request_id=request_id,
    )
    db.add(entry)
    db.flush()
    return entry


def list_audit(
    db: Session,
    *,
    actor_id: str | None = None,
    action: str | None = None,
    target_type: str | None = None,
    target_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[AuditEntry], str | None]:
    """Newest first, one page at a time; returns the page and the cursor of the next one.

    ``action`` matches exactly, or as a prefix when it ends with ``.*`` (``order.*``).
    ``since`` is inclusive and ``until`` exclusive.
    """
    limit = max(1, min(limit, MAX_PAGE))
    conditions = _conditions(actor_id, action, target_type, target_id, since, until)
    if cursor is not None:
        at, entry_id = decode_cursor(cursor)
        conditions.append(
            or_(AuditEntry.at < at, and_(AuditEntry.at == at, AuditEntry.id < entry_id))
        )
    query = (
        select(AuditEntry)
        .where(*conditions)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(limit + 1)
    )
    rows = list(db.scalars(query))
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1]
    return rows[:limit], encode_cursor(last.at, last.id)


def _conditions(
    actor_id: str | None,
    action: str | None,
    target_type: str | None,
    target_id: str | None,
    since: datetime | None,
    until: datetime | None,
) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if actor_id is not None:
        conditions.append(AuditEntry.actor_id == actor_id)
    if action is not None and action.endswith(".*"):
        conditions.append(AuditEntry.action.startswith(action[:-1], autoescape=True))
    elif action is not None:
        conditions.append(AuditEntry.action == action)
    if target_type is not None:
        conditions.append(AuditEntry.target_type == target_type)
    if target_id is not None:
        conditions.append(AuditEntry.target_id == target_id)
    if since is not None:
        conditions.append(AuditEntry.at >= since)
    if until is not None:
        conditions.append(AuditEntry.at < until)
    return conditions


def _json_object(values: Mapping[str, object] | None) -> dict[str, object] | None:
    if values is None:
        return None
    return {str(key): _jsonable(value) for key, value in values.items()}


def _jsonable(value: object) -> object:
    """Money keeps its exact digits as text; times become ISO 8601."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return _jsonable(value.value)
    if isinstance(value, Mapping):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [_jsonable(item) for item in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    return str(value)
