"""What a KPI request may see and over which days, then the report itself.

Supervisors and admins (``kpi.read``) read everyone's figures, or one agent's.
Staff who work tickets without that permission read their own figures only:
every KPI is then restricted to the tickets and ratings credited to them.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from yiwen.analytics.figures import Report
from yiwen.analytics.kpis import compute_kpis
from yiwen.analytics.period import check_group, check_period, default_period, parse_day
from yiwen.auth.models import StaffUser
from yiwen.auth.permissions import KPI_READ, TICKET_REPLY, has_permission
from yiwen.core.clock import Clock, to_local
from yiwen.core.errors import ActionNotAllowed


def check_kpi_viewer(viewer: StaffUser, agent_id: str | None) -> str | None:
    """The agent whose figures the viewer gets (``None`` = everyone's), or refuse."""
    if has_permission(viewer.role, KPI_READ):
        return agent_id
    if not has_permission(viewer.role, TICKET_REPLY):
        raise ActionNotAllowed("permission_denied", permission=KPI_READ)
    if agent_id not in (None, viewer.id):
        raise ActionNotAllowed("kpi_other_agent")
    return viewer.id


def get_kpi_report(
    db: Session,
    clock: Clock,
    viewer: StaffUser,
    *,
    first: str | None,
    last: str | None,
    group_by: str | None,
    agent_id: str | None,
) -> Report:
    now = clock.now()
    default_first, default_last = default_period(to_local(now).date())
    period = check_period(
        parse_day(first, "from") if first else default_first,
        parse_day(last, "to") if last else default_last,
    )
    group = check_group(group_by)
    agent = check_kpi_viewer(viewer, agent_id)
    return compute_kpis(db, period=period, group_by=group, agent_id=agent, now=now)
