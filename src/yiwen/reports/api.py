"""Report routes: CSV/XLSX exports with filters, and scheduled-report subscriptions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.responses import StreamingResponse

from yiwen.auth.models import StaffUser
from yiwen.auth.permissions import KPI_READ
from yiwen.core.clock import Clock
from yiwen.core.db import Database
from yiwen.http.deps import (
    AppClock,
    AppSettings,
    CurrentStaff,
    DbSession,
    get_database,
    require_permission,
)
from yiwen.reports import exports, subscriptions
from yiwen.reports.filters import (
    Dataset,
    ExportFilter,
    check_export_filter,
    check_known_parameters,
)
from yiwen.reports.schemas import (
    SendNowOut,
    SubscriptionIn,
    SubscriptionList,
    SubscriptionOut,
    subscription_out,
)

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])

KpiReader = Annotated[StaffUser, Depends(require_permission(KPI_READ))]
AppDatabase = Annotated[Database, Depends(get_database)]
From = Annotated[str | None, Query(alias="from", max_length=32, description="YYYY-MM-DD")]
To = Annotated[str | None, Query(max_length=32, description="YYYY-MM-DD, inclusive")]
Code = Annotated[str | None, Query(max_length=40)]
Statuses = Annotated[list[str] | None, Query(alias="status")]


def _respond(
    request: Request,
    database: Database,
    clock: Clock,
    staff: StaffUser,
    fmt: exports.Format,
    where: ExportFilter,
    dataset: Dataset,
) -> StreamingResponse:
    check_known_parameters(dataset, request.query_params.keys())
    # GET runs on a read-only session; the audit entry gets a transaction of its own,
    # committed before the first byte goes out.
    with database.transaction() as db:
        export = exports.start_export(
            db,
            database,
            clock,
            staff,
            dataset=dataset,
            fmt=fmt,
            where=where,
            ip=request.client.host if request.client else None,
        )
    return StreamingResponse(
        export.chunks,
        media_type=export.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{export.filename}"',
            "Cache-Control": "no-store",
        },
    )


@router.get("/exports/tickets.{fmt}", response_class=StreamingResponse)
def export_tickets(
    fmt: exports.Format,
    request: Request,
    database: AppDatabase,
    clock: AppClock,
    staff: CurrentStaff,
    first: From = None,
    to: To = None,
    statuses: Statuses = None,
    category: Code = None,
    channel: Code = None,
    queue: Code = None,
    agent_id: Code = None,
) -> StreamingResponse:
    """Tickets created in the period (Asia/Shanghai days), oldest first.

    Without ``kpi.read`` only the caller's own tickets (assigned to them).
    """
    where = check_export_filter(
        "tickets",
        clock,
        staff,
        first=first,
        last=to,
        statuses=statuses,
        category=category,
        channel=channel,
        queue=queue,
        agent_id=agent_id,
    )
    return _respond(request, database, clock, staff, fmt, where, "tickets")


@router.get("/exports/conversations.{fmt}", response_class=StreamingResponse)
def export_conversations(
    fmt: exports.Format,
    request: Request,
    database: AppDatabase,
    clock: AppClock,
    staff: CurrentStaff,
    first: From = None,
    to: To = None,
    statuses: Statuses = None,
    channel: Code = None,
    agent_id: Code = None,
) -> StreamingResponse:
    """Conversations started in the period, oldest first (an agent: their own)."""
    where = check_export_filter(
        "conversations",
        clock,
        staff,
        first=first,
        last=to,
        statuses=statuses,
        channel=channel,
        agent_id=agent_id,
    )
    return _respond(request, database, clock, staff, fmt, where, "conversations")


@router.get("/exports/kpis.{fmt}", response_class=StreamingResponse)
def export_kpis(
    fmt: exports.Format,
    request: Request,
    database: AppDatabase,
    clock: AppClock,
    staff: CurrentStaff,
    first: From = None,
    to: To = None,
    group_by: Code = None,
    agent_id: Code = None,
) -> StreamingResponse:
    """The KPI report: totals, then one row per group (by day unless ``group_by`` says)."""
    where = check_export_filter(
        "kpis", clock, staff, first=first, last=to, group_by=group_by, agent_id=agent_id
    )
    return _respond(request, database, clock, staff, fmt, where, "kpis")


@router.get("/subscriptions")
def list_subscriptions(db: DbSession, staff: KpiReader) -> SubscriptionList:
    return SubscriptionList(
        items=[subscription_out(s) for s in subscriptions.list_subscriptions(db)]
    )


def _input(body: SubscriptionIn) -> subscriptions.SubscriptionInput:
    return subscriptions.SubscriptionInput(
        name=body.name.strip(),
        recipients=body.recipients,
        frequency=body.frequency,
        hour=body.hour,
        timezone=body.timezone,
        agent_id=body.agent_id or None,
        active=body.active,
    )


@router.post("/subscriptions", status_code=status.HTTP_201_CREATED)
def create_subscription(
    body: SubscriptionIn, db: DbSession, clock: AppClock, staff: KpiReader
) -> SubscriptionOut:
    return subscription_out(subscriptions.create_subscription(db, clock, _input(body), actor=staff))


@router.get("/subscriptions/{subscription_id}")
def read_subscription(subscription_id: str, db: DbSession, staff: KpiReader) -> SubscriptionOut:
    return subscription_out(subscriptions.get_subscription(db, subscription_id))


@router.put("/subscriptions/{subscription_id}")
def update_subscription(
    subscription_id: str, body: SubscriptionIn, db: DbSession, clock: AppClock, staff: KpiReader
) -> SubscriptionOut:
    subscription = subscriptions.get_subscription(db, subscription_id)
    return subscription_out(
        subscriptions.update_subscription(db, clock, subscription, _input(body), actor=staff)
    )


@router.delete("/subscriptions/{subscription_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_subscription(
    subscription_id: str, db: DbSession, clock: AppClock, staff: KpiReader
) -> None:
    subscription = subscriptions.get_subscription(db, subscription_id)
    subscriptions.delete_subscription(db, clock, subscription, actor=staff)


@router.post("/subscriptions/{subscription_id}/send-now", status_code=status.HTTP_202_ACCEPTED)
def send_now(
    subscription_id: str,
    db: DbSession,
    clock: AppClock,
    settings: AppSettings,
    staff: KpiReader,
) -> SendNowOut:
    """Queue a preview of the latest closed period to the recipients, now."""
    subscription = subscriptions.get_subscription(db, subscription_id)
    period = subscriptions.send_now(db, clock, settings, subscription, actor=staff)
    return SendNowOut(first=period.first, last=period.last, recipients=len(subscription.recipients))
