"""The scheduled report as an email: HTML with the KPI table and inline charts, XLSX attached.

Structure (what mail clients expect for pictures inside the text)::

    multipart/mixed
      multipart/alternative
        text/plain            the headline figures, for clients without HTML
        multipart/related
          text/html           <img src="cid:..."> for each chart
          image/png ...       one part per chart, Content-ID matching the src
      application/vnd...sheet the report as XLSX

Every figure comes from :func:`yiwen.analytics.kpis.compute_kpis` for the
period, the same function the KPI page and API use, so the mail and the
dashboard never disagree. Names that come from data (agents, channels,
categories) are HTML-escaped.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from email.message import EmailMessage
from html import escape

from sqlalchemy.orm import Session

from yiwen.analytics.figures import Report
from yiwen.analytics.kpis import compute_kpis
from yiwen.analytics.period import Period
from yiwen.reports import charts
from yiwen.reports.columns import Table
from yiwen.reports.datasets import kpi_table
from yiwen.reports.kpi_table import duration_text, headline, percent_text
from yiwen.reports.writers import xlsx_bytes

FREQUENCY_NAMES = {"daily": "日报", "weekly": "周报"}
XLSX_TYPE = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@dataclass(frozen=True)
class ReportRequest:
    """What one mail reports on; travels in the outbox payload."""

    name: str
    frequency: str
    first: date
    last: date
    agent_id: str | None = None
    preview: bool = False

    def payload(self, subscription_id: str) -> dict[str, object]:
        return {
            "subscription_id": subscription_id,
            "name": self.name,
            "frequency": self.frequency,
            "first": self.first.isoformat(),
            "last": self.last.isoformat(),
            "agent_id": self.agent_id,
            "preview": self.preview,
        }

    @classmethod
    def from_payload(cls, payload: dict[str, object]) -> ReportRequest:
        agent = payload.get("agent_id")
        return cls(
            name=str(payload.get("name", "")),
            frequency=str(payload.get("frequency", "daily")),
            first=date.fromisoformat(str(payload["first"])),
            last=date.fromisoformat(str(payload["last"])),
            agent_id=str(agent) if agent else None,
            preview=bool(payload.get("preview", False)),
        )

    @property
    def subject(self) -> str:
        kind = FREQUENCY_NAMES.get(self.frequency, "报表")
        days = self.first.isoformat()
        if self.last != self.first:
            days += f" 至 {self.last.isoformat()}"
        prefix = "[预览] " if self.preview else ""
        return f"{prefix}{self.name} · 客服{kind} {days}"


@dataclass(frozen=True)
class ReportContent:
    """The computed report, before it becomes a mail (tests read the figures from here)."""

    totals: Report
    by_channel: Report
    by_category: Report
    by_day: Report | None


def compute_report(db: Session, request: ReportRequest, now: datetime) -> ReportContent:
    period = Period(request.first, request.last)

    def grouped(group_by: str | None) -> Report:
        return compute_kpis(
            db, period=period, group_by=group_by, agent_id=request.agent_id, now=now
        )

    return ReportContent(
        totals=grouped(None),
        by_channel=grouped("channel"),
        by_category=grouped("category"),
        by_day=grouped("day") if request.last > request.first else None,
    )


def _cid(name: str, request: ReportRequest) -> str:
    digest = hashlib.sha256(f"{request.first}{request.last}{name}".encode()).hexdigest()[:12]
    return f"{name}.{digest}@yiwen"


def _charts(content: ReportContent) -> list[tuple[str, str, bytes]]:
    """(name, alt text, PNG) of each chart, in the order the mail shows them."""
    f = content.totals.totals
    found = [
        (
            "rates",
            "关键比率",
            charts.rate_chart(
                "关键比率",
                ["首次解决率", "解决SLA达标率", "满意率", "机器人独立解决率"],
                [
                    f.first_contact_resolution.rate,
                    f.sla_resolution.rate,
                    f.csat.satisfied_rate,
                    f.bot_containment.rate,
                ],
            ),
        ),
        (
            "channels",
            "各渠道新建工单",
            charts.bar_chart(
                "各渠道新建工单",
                [g.label for g in content.by_channel.groups],
                [g.figures.tickets_created for g in content.by_channel.groups],
            ),
        ),
        (
            "categories",
            "各问题类型新建工单",
            charts.bar_chart(
                "各问题类型新建工单",
                [g.label for g in content.by_category.groups],
                [g.figures.tickets_created for g in content.by_category.groups],
            ),
        ),
    ]
    if content.by_day is not None:
        days = content.by_day.groups
        found.append(
            (
                "trend",
                "每日工单量与首次解决率",
                charts.trend_chart(
                    "每日工单量与首次解决率",
                    [g.label[5:] for g in days],
                    [g.figures.tickets_created for g in days],
                    [g.figures.first_contact_resolution.rate for g in days],
                ),
            )
        )
    return found


_CELL = 'style="border:1px solid #d1d5db;padding:4px 8px"'
_HEAD = 'style="border:1px solid #d1d5db;padding:4px 8px;background:#1f4e79;color:#fff"'


def _group_table(title: str, dimension: str, report: Report) -> str:
    rows = "".join(
        f'<tr data-group="{escape(g.key or "")}"><td {_CELL}>{escape(g.label)}</td>'
        f'<td {_CELL} data-kpi="tickets_created">{g.figures.tickets_created}</td>'
        f'<td {_CELL} data-kpi="first_contact_resolution">'
        f"{percent_text(g.figures.first_contact_resolution.rate)}</td>"
        f'<td {_CELL} data-kpi="first_response_median">'
        f"{duration_text(g.figures.first_response_time.median_seconds)}</td>"
        f'<td {_CELL} data-kpi="resolution_median">'
        f"{duration_text(g.figures.resolution_time.median_seconds)}</td>"
        f'<td {_CELL} data-kpi="csat_average">'
        f"{'—' if g.figures.csat.average is None else f'{g.figures.csat.average:.2f}'}</td></tr>"
        for g in report.groups
    )
    if not rows:
        rows = f'<tr><td {_CELL} colspan="6">本期无数据</td></tr>'
    head = "".join(
        f"<th {_HEAD}>{name}</th>"
        for name in (dimension, "新建工单", "首次解决率", "首响中位数", "解决中位数", "满意度")
    )
    return (
        f"<h3>{title}</h3>"
        f'<table data-table="{report.group_by}" style="border-collapse:collapse;font-size:13px">'
        f"<tr>{head}</tr>{rows}</table>"
    )


def render_html(
    request: ReportRequest, content: ReportContent, images: list[tuple[str, str, bytes]]
) -> str:
    totals = content.totals.totals
    rows = "".join(
        f'<tr data-kpi="{key}"><td {_CELL}>{name}</td>'
        f'<td {_CELL} class="value">{escape(value)}</td>'
        f'<td {_CELL} class="sample">{escape(sample)}</td></tr>'
        for key, name, value, sample in headline(totals)
    )
    pictures = "".join(
        f'<p><img src="cid:{_cid(name, request)}" alt="{alt}" style="max-width:640px"></p>'
        for name, alt, _png in images
    )
    scope = "（单个客服）" if request.agent_id else ""
    return (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"></head>'
        "<body style=\"font-family:'PingFang SC','Microsoft YaHei',sans-serif;color:#111827\">"
        f"<h2>{escape(request.subject)}</h2>"
        f"<p>统计区间：{request.first.isoformat()} 至 {request.last.isoformat()}"
        f"（Asia/Shanghai 整日）{scope}</p>"
        '<table data-table="totals" style="border-collapse:collapse;font-size:14px">'
        f"<tr><th {_HEAD}>指标</th><th {_HEAD}>数值</th><th {_HEAD}>样本</th></tr>"
        f"{rows}</table>"
        f"{pictures}"
        f"{_group_table('各渠道', '渠道', content.by_channel)}"
        f"{_group_table('各问题类型', '问题类型', content.by_category)}"
        '<p style="color:#6b7280;font-size:12px">指标口径见“数据看板”说明；'
        "明细见附件 XLSX。此邮件由一问自动发送。</p>"
        "</body></html>"
    )


def render_text(request: ReportRequest, content: ReportContent) -> str:
    lines = [request.subject, f"统计区间：{request.first} 至 {request.last}", ""]
    lines += [
        f"{name}：{value}" + (f"（{sample}）" if sample else "")
        for _key, name, value, sample in headline(content.totals.totals)
    ]
    return "\n".join(lines) + "\n"


def _xlsx(content: ReportContent) -> bytes:
    tables: list[Table] = []
    for report, sheet in (
        (content.by_channel, "各渠道"),
        (content.by_category, "各问题类型"),
        (content.by_day, "每日"),
    ):
        if report is not None:
            table = kpi_table(report)
            tables.append(Table(sheet, table.columns, table.batches))
    return xlsx_bytes(tables)


def build_report_mail(db: Session, request: ReportRequest, now: datetime) -> EmailMessage:
    """The mail without its envelope headers (From, To, Message-ID: the notifier's)."""
    content = compute_report(db, request, now)
    images = _charts(content)
    message = EmailMessage()
    message.set_content(render_text(request, content), charset="utf-8")
    message.add_alternative(render_html(request, content, images), subtype="html", charset="utf-8")
    html_part = next(part for part in message.iter_parts() if part.get_content_subtype() == "html")
    for name, _alt, png in images:
        html_part.add_related(
            png, "image", "png", cid=f"<{_cid(name, request)}>", filename=f"{name}.png"
        )
    message.add_attachment(
        _xlsx(content),
        maintype=XLSX_TYPE[0],
        subtype=XLSX_TYPE[1],
        filename=f"kpis_{request.first.isoformat()}_{request.last.isoformat()}.xlsx",
    )
    return message
