"""API shapes of logins, staff accounts and the audit log."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from yiwen.auth.models import StaffUser
from yiwen.auth.passwords import PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH
from yiwen.auth.permissions import permissions_for

Role = Literal[
    "admin", "supervisor", "agent_l1", "agent_l2", "tech", "finance", "supplier_liaison", "security"
]


class LoginRequest(BaseModel):
    # No format rules here: a malformed username is simply a failed login.
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=PASSWORD_MAX_LENGTH)


class PasswordChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    old_password: str = Field(min_length=1, max_length=PASSWORD_MAX_LENGTH)
    new_password: str = Field(min_length=PASSWORD_MIN_LENGTH, max_length=PASSWORD_MAX_LENGTH)


class StaffCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=2, max_length=32)
    password: str = Field(min_length=PASSWORD_MIN_LENGTH, max_length=PASSWORD_MAX_LENGTH)
    display_name: str = Field(min_length=1, max_length=50)
    role: Role
    email: str | None = Field(default=None, max_length=254)


class StaffPatch(BaseModel):
    """Only the fields sent change; ``email: ""`` clears the address."""

    model_config = ConfigDict(extra="forbid")

    display_name: str | None = Field(default=None, min_length=1, max_length=50)
    role: Role | None = None
    is_active: bool | None = None
    email: str | None = Field(default=None, max_length=254)
    password: str | None = Field(
        default=None, min_length=PASSWORD_MIN_LENGTH, max_length=PASSWORD_MAX_LENGTH
    )


class StaffOut(BaseModel):
    id: str
    username: str
    display_name: str
    role: str
    email: str | None
    is_active: bool
    created_at: datetime
    last_login_at: datetime | None
    permissions: list[str]

    @classmethod
    def of(cls, user: StaffUser) -> StaffOut:
        return cls(
            id=user.id,
            username=user.username,
            display_name=user.display_name,
            role=user.role,
            email=user.email,
            is_active=user.is_active,
            created_at=user.created_at,
            last_login_at=user.last_login_at,
            permissions=sorted(permissions_for(user.role)),
        )


class LoginOut(BaseModel):
    token: str
    csrf_token: str
    expires_at: datetime
    user: StaffOut


class StaffPage(BaseModel):
    items: list[StaffOut]
    next_cursor: str | None


class AuditEntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    at: datetime
    actor_type: str
    actor_id: str | None
    actor_name: str | None
    action: str
    target_type: str
    target_id: str
    before: dict[str, object] | None
    after: dict[str, object] | None
    ip: str | None
    request_id: str | None


class AuditPage(BaseModel):
    items: list[AuditEntryOut]
    next_cursor: str | None


class RoleOut(BaseModel):
    """A role as the code defines it, with the money it may move (``None`` = no cap).

    ``may_refund`` / ``may_issue_coupon`` are false for a role the limits leave out:
    such a role has no money authority whatever its permissions say.
    """

    role: str
    permissions: list[str]
    may_refund: bool
    refund_limit: Decimal | None
    may_issue_coupon: bool
    coupon_limit: Decimal | None
    staff_count: int


class MoneyLimits(BaseModel):
    """How much money the caller's role may move per action; ``None`` means no cap.

    A role without authority gets ``0``, so the console can hide what the server would refuse.
    """

    refund: Decimal | None
    coupon: Decimal | None
