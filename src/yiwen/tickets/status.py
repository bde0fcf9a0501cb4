"""The ticket status machine and what each status means to the customer."""

from __future__ import annotations

from yiwen.core.errors import Conflict

STATUSES = (
    "new",
    "open",
    "pending_customer",
    "pending_supplier",
    "pending_internal",
    "resolved",
    "closed",
)
PENDING = ("pending_customer", "pending_supplier", "pending_internal")

TRANSITIONS: dict[str, frozenset[str]] = {
    "new": frozenset({"open", *PENDING, "resolved"}),
    "open": frozenset({*PENDING, "resolved"}),
    "pending_customer": frozenset({"open", "pending_supplier", "pending_internal", "resolved"}),
    "pending_supplier": frozenset({"open", "pending_customer", "pending_internal", "resolved"}),
    "pending_internal": frozenset({"open", "pending_customer", "pending_supplier", "resolved"}),
    "resolved": frozenset({"closed", "open"}),
    "closed": frozenset({"open"}),
}

# The three stages the customer sees (待处理 → 处理中 → 已完成).
PUBLIC_STAGE = {
    "new": "pending",
    "open": "in_progress",
    "pending_customer": "in_progress",
    "pending_supplier": "in_progress",
    "pending_internal": "in_progress",
    "resolved": "done",
    "closed": "done",
}

STATUS_LABELS: dict[str, tuple[str, str]] = {
    "new": ("待处理", "Waiting"),
    "open": ("处理中", "In progress"),
    "pending_customer": ("等待您的回复", "Waiting for your reply"),
    "pending_supplier": ("等待上游供应商处理", "Waiting for the supplier"),
    "pending_internal": ("内部处理中", "Being handled internally"),
    "resolved": ("已解决，待您确认", "Resolved, please confirm"),
    "closed": ("已关闭", "Closed"),
}

OPEN_STATUSES = ("new", "open", *PENDING)


def check_transition(current: str, target: str) -> None:
    if target not in TRANSITIONS.get(current, frozenset()):
        raise Conflict("illegal_status_transition", current=current, target=target)
