"""Roles, the permissions each one grants, and the per-role money limits.

A permission says what kind of action a role may take at all; the limits in
settings (``refund_limits``, ``coupon_limits``) say how much money it may move.
Both are checked by the service that acts, not only by the route.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from yiwen.auth import messages as _messages  # noqa: F401  (registers the error texts)
from yiwen.core.errors import ActionNotAllowed, InvalidInput
from yiwen.core.settings import Settings

ROLES: tuple[str, ...] = (
    "admin",
    "supervisor",
    "agent_l1",
    "agent_l2",
    "tech",
    "finance",
    "supplier_liaison",
    "security",
)

INBOX_READ = "inbox.read"
TICKET_READ = "ticket.read"
TICKET_REPLY = "ticket.reply"
TICKET_NOTE = "ticket.note"
TICKET_UPDATE = "ticket.update"  # status, priority, category
TICKET_ASSIGN = "ticket.assign"  # give a ticket to someone else (taking one needs ticket.reply)
TICKET_TRANSFER = "ticket.transfer"
TICKET_RESOLVE = "ticket.resolve"
CUSTOMER_READ = "customer.read"  # the customer 360 view
ORDER_READ = "order.read"
ORDER_RESEND = "order.resend"
ORDER_REPUSH = "order.repush"
ORDER_REFUND = "order.refund"  # amount capped by settings.refund_limits
COUPON_ISSUE = "coupon.issue"  # amount capped by settings.coupon_limits
ACCOUNT_FREEZE = "account.freeze"
CARD_KEY_REVEAL = "card_key.reveal"
MACRO_MANAGE = "macro.manage"
STAFF_MANAGE = "staff.manage"
AUDIT_READ = "audit.read"
NOTIFY_MANAGE = "notify.manage"  # webhooks, delivery log, dead letters (admin, supervisor)
ROUTING_MANAGE = "routing.manage"  # queues, category map, agent profiles, VIPs
KPI_READ = "kpi.read"  # everyone's KPIs; agents read only their own without it
KB_MANAGE = "kb.manage"  # edit and unpublish help-center articles (admin, supervisor)
SLA_MANAGE = "sla.manage"  # SLA policies and business calendars (admin, supervisor)
CHANNEL_MANAGE = "channel.manage"  # channel accounts and their secrets (admin, supervisor)
IDENTITY_MANAGE = "identity.manage"  # unlink a customer's identity, undoing a merge
COMPLAINT_MANAGE = "complaint.manage"  # register external complaints (12315, 黑猫投诉)
INCIDENT_MANAGE = "incident.manage"  # anomaly incidents: read, acknowledge, resolve
ANNOUNCEMENT_MANAGE = "announcement.manage"  # announcements and notices (admin, supervisor)
WORKFORCE_MANAGE = "workforce.manage"  # agents' shifts (admin, supervisor)
CONNECTOR_MANAGE = "connector.manage"  # the store connector's settings view and health check
RETENTION_MANAGE = "retention.manage"  # the retention policy, legal holds, runs (admin only)
ARCHIVE_READ = "archive.read"  # read archived transcripts (audited): admin, supervisor, security

ALL_PERMISSIONS: frozenset[str] = frozenset(
    {
        INBOX_READ,
        TICKET_READ,
        TICKET_REPLY,
        TICKET_NOTE,
        TICKET_UPDATE,
        TICKET_ASSIGN,
        TICKET_TRANSFER,
        TICKET_RESOLVE,
        CUSTOMER_READ,
        ORDER_READ,
        ORDER_RESEND,
        ORDER_REPUSH,
        ORDER_REFUND,
        COUPON_ISSUE,
        ACCOUNT_FREEZE,
        CARD_KEY_REVEAL,
        MACRO_MANAGE,
        STAFF_MANAGE,
        AUDIT_READ,
        NOTIFY_MANAGE,
        ROUTING_MANAGE,
        KPI_READ,
        KB_MANAGE,
        SLA_MANAGE,
        CHANNEL_MANAGE,
        IDENTITY_MANAGE,
        COMPLAINT_MANAGE,
        INCIDENT_MANAGE,
        ANNOUNCEMENT_MANAGE,
        WORKFORCE_MANAGE,
        CONNECTOR_MANAGE,
        RETENTION_MANAGE,
        ARCHIVE_READ,
    }
)

# Everyone who works tickets sees the case, the customer and the orders.
_CASEWORK = frozenset(
    {
        INBOX_READ,
        TICKET_READ,
        TICKET_REPLY,
        TICKET_NOTE,
        TICKET_UPDATE,
        TICKET_TRANSFER,
        TICKET_RESOLVE,
        CUSTOMER_READ,
        ORDER_READ,
    }
)
# Re-pushing is safe at L1: the shop refuses it once a push succeeded or while one runs.
_AGENT_L1 = _CASEWORK | {ORDER_RESEND, ORDER_REPUSH, ORDER_REFUND, COUPON_ISSUE}

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "admin": ALL_PERMISSIONS,
    # Deciding what data is destroyed is the operator's call, not a team lead's.
    "supervisor": ALL_PERMISSIONS - {STAFF_MANAGE, RETENTION_MANAGE},
    # L1 resends and refunds small amounts; a card key stays masked, freezing is security's.
    "agent_l1": _AGENT_L1,
    "agent_l2": _AGENT_L1 | {TICKET_ASSIGN, CARD_KEY_REVEAL},
    "tech": _CASEWORK | {ORDER_RESEND, ORDER_REPUSH, CARD_KEY_REVEAL},
    "finance": _CASEWORK | {ORDER_REFUND, COUPON_ISSUE},
    "supplier_liaison": _CASEWORK | {ORDER_RESEND, ORDER_REPUSH},
    "security": _CASEWORK | {ACCOUNT_FREEZE, CARD_KEY_REVEAL, AUDIT_READ, ARCHIVE_READ},
}


def check_role(role: str) -> None:
    if role not in ROLE_PERMISSIONS:
        raise InvalidInput("role_unknown", role=role)


def permissions_for(role: str) -> frozenset[str]:
    """An unknown role grants nothing (a role removed from the code locks its users out)."""
    return ROLE_PERMISSIONS.get(role, frozenset())


def has_permission(role: str, permission: str) -> bool:
    return permission in permissions_for(role)


def check_permission(role: str, permission: str) -> None:
    if not has_permission(role, permission):
        raise ActionNotAllowed("permission_denied", permission=permission)


def check_amount_within_limit(
    settings: Settings, role: str, kind: Literal["refund", "coupon"], amount: Decimal
) -> None:
    """Refuse money moved beyond the role's authority (settings; ``None`` = unlimited).

    A role absent from the limits has no authority at all, whatever its permissions.
    """
    limits = settings.refund_limits if kind == "refund" else settings.coupon_limits
    if role not in limits:
        raise ActionNotAllowed(f"{kind}_not_allowed")
    limit = limits[role]
    if limit is not None and amount > limit:
        raise ActionNotAllowed(f"{kind}_above_limit", limit=_yuan(limit), amount=_yuan(amount))


def _yuan(amount: Decimal) -> str:
    return f"{amount.quantize(Decimal('0.01')):f}"
