"""API shapes of the KPI report: every rate and percentile travels with its count ``n``."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from yiwen.analytics.figures import Figures, Ratio, Report
from yiwen.analytics.percentiles import Spread


class SpreadOut(BaseModel):
    """Median and p90 (nearest rank) in seconds of wall time; ``None`` when ``n`` is 0."""

    n: int
    median_seconds: int | None
    p90_seconds: int | None


class RatioOut(BaseModel):
    """``count`` of ``n`` cases; ``rate`` is ``count / n`` (0–1), ``None`` when ``n`` is 0."""

    n: int
    count: int
    rate: float | None


class CsatOut(BaseModel):
    n: int
    average: float | None
    satisfied: int
    satisfied_rate: float | None


class BacklogOut(BaseModel):
    n: int
    by_status: dict[str, int] | None


class FiguresOut(BaseModel):
    tickets_created: int
    first_response_time: SpreadOut
    resolution_time: SpreadOut
    first_contact_resolution: RatioOut
    reopen: RatioOut
    sla_first_response: RatioOut
    sla_resolution: RatioOut
    csat: CsatOut
    bot_containment: RatioOut
    backlog: BacklogOut


class GroupOut(BaseModel):
    key: str | None
    label: str
    figures: FiguresOut


class KpiReportOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    first: date = Field(serialization_alias="from")
    last: date = Field(serialization_alias="to")
    timezone: str = "Asia/Shanghai"
    group_by: str | None
    agent_id: str | None = Field(description="Set when the figures are one agent's own")
    generated_at: datetime
    totals: FiguresOut
    groups: list[GroupOut]


def _spread(spread: Spread) -> SpreadOut:
    return SpreadOut(
        n=spread.n, median_seconds=spread.median_seconds, p90_seconds=spread.p90_seconds
    )


def _ratio(ratio: Ratio) -> RatioOut:
    return RatioOut(n=ratio.n, count=ratio.count, rate=ratio.rate)


def figures_out(figures: Figures) -> FiguresOut:
    return FiguresOut(
        tickets_created=figures.tickets_created,
        first_response_time=_spread(figures.first_response_time),
        resolution_time=_spread(figures.resolution_time),
        first_contact_resolution=_ratio(figures.first_contact_resolution),
        reopen=_ratio(figures.reopen),
        sla_first_response=_ratio(figures.sla_first_response),
        sla_resolution=_ratio(figures.sla_resolution),
        csat=CsatOut(
            n=figures.csat.n,
            average=figures.csat.average,
            satisfied=figures.csat.satisfied,
            satisfied_rate=figures.csat.satisfied_rate,
        ),
        bot_containment=_ratio(figures.bot_containment),
        backlog=BacklogOut(n=figures.backlog.n, by_status=figures.backlog.by_status),
    )


def report_out(report: Report) -> KpiReportOut:
    return KpiReportOut(
        first=report.first,
        last=report.last,
        group_by=report.group_by,
        agent_id=report.agent_id,
        generated_at=report.generated_at,
        totals=figures_out(report.totals),
        groups=[
            GroupOut(key=g.key, label=g.label, figures=figures_out(g.figures))
            for g in report.groups
        ],
    )
