"""What an export covers: the days, the filters, and whose rows the viewer may see.

Filters are checked before any row is read, so a typo is a 4xx with a message,
never an empty file or a half-written one. The rule of who sees what is the
KPI rule (:func:`yiwen.analytics.service.check_kpi_viewer`): ``kpi.read``
exports everyone's rows (or one agent's), anyone else who works tickets exports
only the rows assigned to them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import yiwen.reports.messages  # noqa: F401  (registers the texts)
from yiwen.analytics.period import (
    Period,
    check_group,
    check_period,
    default_period,
    parse_day,
)
from yiwen.analytics.service import check_kpi_viewer
from yiwen.auth.models import StaffUser
from yiwen.core.clock import Clock, to_local
from yiwen.core.errors import InvalidInput
from yiwen.tickets.status import STATUSES as TICKET_STATUSES
from yiwen.tickets.taxonomy import CATEGORIES

Dataset = Literal["tickets", "conversations", "kpis"]
DATASETS: tuple[Dataset, ...] = ("tickets", "conversations", "kpis")
CONVERSATION_STATUSES = ("bot", "waiting", "open", "resolved", "closed")
# Which filters each dataset has a column for; any other one is refused, not ignored.
SUPPORTED: dict[Dataset, frozenset[str]] = {
    "tickets": frozenset({"status", "category", "channel", "queue", "agent_id"}),
    "conversations": frozenset({"status", "channel", "agent_id"}),
    "kpis": frozenset({"agent_id", "group_by"}),
}
# Query parameters every export takes besides its filters.
_COMMON = frozenset({"from", "to"})
_CODE = re.compile(r"[a-z][a-z0-9_-]{0,39}")
_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")


@dataclass(frozen=True)
class ExportFilter:
    period: Period
    statuses: tuple[str, ...] = ()
    category: str | None = None
    channel: str | None = None
    queue: str | None = None
    # The agent whose rows these are (the viewer's own for an agent); None = everyone's.
    agent_id: str | None = None
    group_by: str | None = None

    def describe(self) -> dict[str, object]:
        """For the audit log and the file name: what was asked for, in plain values."""
        found: dict[str, object] = {
            "from": self.period.first.isoformat(),
            "to": self.period.last.isoformat(),
        }
        for name in ("category", "channel", "queue", "agent_id", "group_by"):
            value = getattr(self, name)
            if value is not None:
                found[name] = value
        if self.statuses:
            found["status"] = list(self.statuses)
        return found


def check_known_parameters(dataset: Dataset, names: Iterable[str]) -> None:
    """An unknown query parameter is refused: ignoring it would export more than was asked."""
    for name in names:
        if name not in _COMMON | SUPPORTED[dataset]:
            raise InvalidInput("report_filter_not_supported", dataset=dataset, field=name[:40])


def check_export_filter(
    dataset: Dataset,
    clock: Clock,
    viewer: StaffUser,
    *,
    first: str | None,
    last: str | None,
    statuses: list[str] | None = None,
    category: str | None = None,
    channel: str | None = None,
    queue: str | None = None,
    agent_id: str | None = None,
    group_by: str | None = None,
) -> ExportFilter:
    given = {
        "status": statuses or None,
        "category": category or None,
        "channel": channel or None,
        "queue": queue or None,
        "agent_id": agent_id or None,
        "group_by": group_by or None,
    }
    for name, value in given.items():
        if value is not None and name not in SUPPORTED[dataset]:
            raise InvalidInput("report_filter_not_supported", dataset=dataset, field=name)
    default_first, default_last = default_period(to_local(clock.now()).date())
    period = check_period(
        parse_day(first, "from") if first else default_first,
        parse_day(last, "to") if last else default_last,
    )
    allowed = TICKET_STATUSES if dataset == "tickets" else CONVERSATION_STATUSES
    for status in statuses or ():
        if status not in allowed:
            raise InvalidInput("report_invalid_filter", field="status")
    if category and category not in CATEGORIES:
        raise InvalidInput("report_invalid_filter", field="category")
    for name, value in (("channel", channel), ("queue", queue)):
        if value and not _CODE.fullmatch(value):
            raise InvalidInput("report_invalid_filter", field=name)
    # Checked here, not by the query: rows are read after the response has started.
    if agent_id and not _ID.fullmatch(agent_id):
        raise InvalidInput("report_invalid_filter", field="agent_id")
    return ExportFilter(
        period=period,
        statuses=tuple(dict.fromkeys(statuses or ())),
        category=category or None,
        channel=channel or None,
        queue=queue or None,
        agent_id=check_kpi_viewer(viewer, agent_id or None),
        # The KPI export is by day unless asked otherwise (a table, not one row).
        group_by=check_group(group_by or "day") if dataset == "kpis" else None,
    )
