"""Admin routes for channel accounts. Inbound webhooks live in each adapter's package."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, status
from pydantic import BaseModel, Field

from yiwen.auth.audit import Actor
from yiwen.auth.models import StaffUser
from yiwen.channels import accounts
from yiwen.http.deps import AppClock, AppSettings, DbSession, require_permission

router = APIRouter(prefix="/api/v1/admin/channels", tags=["channels"])

Manager = Annotated[StaffUser, Depends(require_permission("channel.manage"))]
Id = Annotated[str, Path(max_length=32)]
ConfigValue = str | int | float | bool | None


class AccountCreate(BaseModel):
    channel: str = Field(max_length=20)
    name: str = Field(min_length=1, max_length=100)
    config: dict[str, ConfigValue] = Field(default_factory=dict, max_length=50)
    secrets: dict[str, str] = Field(default_factory=dict, max_length=20)


class AccountPatch(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    enabled: bool | None = None
    config: dict[str, ConfigValue] | None = Field(default=None, max_length=50)
    secrets: dict[str, str] | None = Field(default=None, max_length=20)


class AccountOut(BaseModel):
    id: str
    channel: str
    name: str
    enabled: bool
    config: dict[str, Any]
    secret_names: list[str]
    secrets_readable: bool
    # Where the platform must send its events (relative to the public base URL).
    webhook_path: str


class AccountList(BaseModel):
    items: list[AccountOut]


def _out(settings: Any, account: Any) -> AccountOut:
    view = accounts.public_view(settings, account)
    return AccountOut(**view, webhook_path=f"/channels/{account.channel}/{account.id}")  # type: ignore[arg-type]


@router.get("")
def list_accounts(
    db: DbSession,
    settings: AppSettings,
    manager: Manager,
    channel: Annotated[str | None, Query(max_length=20)] = None,
) -> AccountList:
    return AccountList(items=[_out(settings, a) for a in accounts.list_accounts(db, channel)])


@router.post("", status_code=status.HTTP_201_CREATED)
def create_account(
    body: AccountCreate, db: DbSession, clock: AppClock, settings: AppSettings, manager: Manager
) -> AccountOut:
    account = accounts.create_account(
        db,
        clock,
        settings,
        channel=body.channel,
        name=body.name,
        config=dict(body.config),
        secrets=dict(body.secrets),
        actor=Actor.staff(manager),
    )
    return _out(settings, account)


@router.get("/{account_id}")
def get_account(
    account_id: Id, db: DbSession, settings: AppSettings, manager: Manager
) -> AccountOut:
    return _out(settings, accounts.get_account(db, account_id))


@router.patch("/{account_id}")
def update_account(
    account_id: Id,
    body: AccountPatch,
    db: DbSession,
    clock: AppClock,
    settings: AppSettings,
    manager: Manager,
) -> AccountOut:
    account = accounts.update_account(
        db,
        clock,
        settings,
        account_id,
        actor=Actor.staff(manager),
        name=body.name,
        enabled=body.enabled,
        config=dict(body.config) if body.config is not None else None,
        secrets=dict(body.secrets) if body.secrets is not None else None,
    )
    return _out(settings, account)
