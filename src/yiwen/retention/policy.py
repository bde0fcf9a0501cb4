"""The retention policy: read with defaults, changed only by an admin, every change audited."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from sqlalchemy.orm import Session

from yiwen.auth.audit import Actor, record_audit
from yiwen.core.clock import Clock
from yiwen.core.errors import InvalidInput
from yiwen.retention import messages as _messages  # noqa: F401  (registers the texts)
from yiwen.retention.models import POLICY_ROW, RetentionPolicy

# A month at least: agents must be able to look back at last month's cases in full,
# and a complaint to 12315 typically comes within weeks. Ten years at most.
MIN_ARCHIVE_DAYS = 30
MAX_ARCHIVE_DAYS = 3650
MIN_PURGE_DAYS = 30
MAX_PURGE_DAYS = 3650
MIN_BATCH = 10
MAX_BATCH = 1000
DEFAULT_ARCHIVE_DAYS = 365
DEFAULT_BATCH = 200


@dataclass(frozen=True)
class Policy:
    """What a run applies. ``purge_after_days`` counts from archiving; None keeps archives."""

    enabled: bool = False
    archive_after_days: int = DEFAULT_ARCHIVE_DAYS
    purge_after_days: int | None = None
    batch_size: int = DEFAULT_BATCH

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def get_policy(db: Session) -> Policy:
    """The stored policy; a fresh install has none, which means: nothing is ever removed."""
    row = db.get(RetentionPolicy, POLICY_ROW)
    if row is None:
        return Policy()
    return Policy(row.enabled, row.archive_after_days, row.purge_after_days, row.batch_size)


def check_policy(policy: Policy) -> None:
    if not MIN_ARCHIVE_DAYS <= policy.archive_after_days <= MAX_ARCHIVE_DAYS:
        raise InvalidInput(
            "retention_archive_days_out_of_range", min=MIN_ARCHIVE_DAYS, max=MAX_ARCHIVE_DAYS
        )
    purge = policy.purge_after_days
    if purge is not None and not MIN_PURGE_DAYS <= purge <= MAX_PURGE_DAYS:
        raise InvalidInput(
            "retention_purge_days_out_of_range", min=MIN_PURGE_DAYS, max=MAX_PURGE_DAYS
        )
    if not MIN_BATCH <= policy.batch_size <= MAX_BATCH:
        raise InvalidInput("retention_batch_size_out_of_range", min=MIN_BATCH, max=MAX_BATCH)


def update_policy(
    db: Session, clock: Clock, policy: Policy, *, actor: Actor, ip: str | None = None
) -> Policy:
    """Validate and store ``policy``; the audit entry holds the values before and after."""
    check_policy(policy)
    before = get_policy(db)
    row = db.get(RetentionPolicy, POLICY_ROW)
    if row is None:
        row = RetentionPolicy(id=POLICY_ROW)
        db.add(row)
    row.enabled = policy.enabled
    row.archive_after_days = policy.archive_after_days
    row.purge_after_days = policy.purge_after_days
    row.batch_size = policy.batch_size
    row.updated_by_id = actor.id
    row.updated_at = clock.now()
    db.flush()
    record_audit(
        db,
        clock,
        actor=actor,
        action="retention.policy_updated",
        target_type="retention_policy",
        target_id=str(POLICY_ROW),
        before=before.as_dict(),
        after=policy.as_dict(),
        ip=ip,
    )
    return policy
