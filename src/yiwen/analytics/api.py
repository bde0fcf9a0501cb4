"""KPI routes: the report as JSON and the same report as a CSV download."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from yiwen.analytics import csv_export, service
from yiwen.analytics.schemas import KpiReportOut, report_out
from yiwen.http.deps import AppClock, CurrentStaff, DbSession

router = APIRouter(prefix="/api/v1", tags=["analytics"])

From = Annotated[str | None, Query(alias="from", max_length=32, description="YYYY-MM-DD")]
To = Annotated[str | None, Query(max_length=32, description="YYYY-MM-DD, inclusive")]
GroupBy = Annotated[
    str | None, Query(max_length=32, description="day, agent, category, channel or queue")
]
AgentId = Annotated[str | None, Query(max_length=32)]


@router.get("/kpis")
def read_kpis(
    db: DbSession,
    clock: AppClock,
    staff: CurrentStaff,
    first: From = None,
    to: To = None,
    group_by: GroupBy = None,
    agent_id: AgentId = None,
) -> KpiReportOut:
    """KPIs over whole Asia/Shanghai days (default: the last 7), with counts next to rates."""
    return report_out(
        service.get_kpi_report(
            db, clock, staff, first=first, last=to, group_by=group_by, agent_id=agent_id
        )
    )


@router.get("/kpis.csv", response_class=Response)
def export_kpis(
    db: DbSession,
    clock: AppClock,
    staff: CurrentStaff,
    first: From = None,
    to: To = None,
    group_by: GroupBy = None,
    agent_id: AgentId = None,
) -> Response:
    """The same report as CSV (UTF-8 with BOM, for Excel)."""
    report = service.get_kpi_report(
        db, clock, staff, first=first, last=to, group_by=group_by, agent_id=agent_id
    )
    return Response(
        content=csv_export.report_csv(report).encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{csv_export.csv_filename(report)}"'
        },
    )
