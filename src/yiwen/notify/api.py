"""Admin routes: webhook endpoints, the delivery log, dead letters and manual retry."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, status

from yiwen.auth.audit import Actor
from yiwen.auth.models import StaffUser
from yiwen.http.deps import AppClock, AppSettings, DbSession, require_permission
from yiwen.notify import outbox, webhooks
from yiwen.notify.schemas import (
    DeliveryOut,
    DeliveryPage,
    WebhookCreate,
    WebhookCreated,
    WebhookList,
    WebhookOut,
    WebhookPatch,
)

router = APIRouter(prefix="/api/v1/admin/notify", tags=["notify"])

Manager = Annotated[StaffUser, Depends(require_permission("notify.manage"))]
Id = Annotated[str, Path(max_length=32)]
Cursor = Annotated[str | None, Query(max_length=200)]
Limit = Annotated[int, Query(ge=1, le=200)]
Status = Literal["pending", "sending", "sent", "failed", "dead"]


@router.get("/webhooks")
def list_webhooks(db: DbSession, manager: Manager) -> WebhookList:
    return WebhookList(items=[WebhookOut.model_validate(w) for w in webhooks.list_webhooks(db)])


@router.post("/webhooks", status_code=status.HTTP_201_CREATED)
def create_webhook(
    body: WebhookCreate, db: DbSession, clock: AppClock, settings: AppSettings, manager: Manager
) -> WebhookCreated:
    endpoint = webhooks.create_webhook(
        db,
        clock,
        settings,
        url=body.url,
        events=body.events,
        description=body.description,
        secret=body.secret,
        actor=Actor.staff(manager),
    )
    return WebhookCreated.model_validate(endpoint)


@router.patch("/webhooks/{webhook_id}")
def update_webhook(
    webhook_id: Id,
    body: WebhookPatch,
    db: DbSession,
    clock: AppClock,
    settings: AppSettings,
    manager: Manager,
) -> WebhookOut:
    endpoint = webhooks.update_webhook(
        db,
        clock,
        settings,
        webhook_id,
        actor=Actor.staff(manager),
        **body.model_dump(exclude_unset=True, exclude_none=True),
    )
    return WebhookOut.model_validate(endpoint)


@router.delete("/webhooks/{webhook_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_webhook(webhook_id: Id, db: DbSession, clock: AppClock, manager: Manager) -> None:
    webhooks.delete_webhook(db, clock, webhook_id, actor=Actor.staff(manager))


@router.get("/deliveries")
def list_deliveries(
    db: DbSession,
    manager: Manager,
    status_: Annotated[Status | None, Query(alias="status")] = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> DeliveryPage:
    """Newest first; with ``status`` ordered by the last change (``dead`` = the dead letters)."""
    rows, next_cursor = outbox.list_entries(db, status=status_, cursor=cursor, limit=limit)
    return DeliveryPage(
        items=[DeliveryOut.model_validate(r) for r in rows], next_cursor=next_cursor
    )


@router.get("/dead-letters")
def list_dead_letters(
    db: DbSession, manager: Manager, cursor: Cursor = None, limit: Limit = 50
) -> DeliveryPage:
    rows, next_cursor = outbox.list_entries(db, status="dead", cursor=cursor, limit=limit)
    return DeliveryPage(
        items=[DeliveryOut.model_validate(r) for r in rows], next_cursor=next_cursor
    )


@router.post("/deliveries/{delivery_id}/retry")
def retry_delivery(
    delivery_id: Id, db: DbSession, clock: AppClock, manager: Manager
) -> DeliveryOut:
    entry = outbox.retry_entry(db, clock, delivery_id, actor=Actor.staff(manager))
    return DeliveryOut.model_validate(entry)
