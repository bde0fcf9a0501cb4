"""The KPI report as CSV for Excel: UTF-8 with a BOM, safe against formula injection.

Excel runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and, through
some importers, a tab or carriage return) as a formula, so an agent named
``=HYPERLINK(...)`` could attack whoever opens the export. Every text cell that
starts with one of those is prefixed with an apostrophe, which Excel shows as
plain text. Numbers are written as numbers.
"""

from __future__ import annotations

import csv
import io

from yiwen.analytics.figures import Figures, Report

BOM = "\ufeff"
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


HEADERS = (
    "分组方式",
    "分组",
    "名称",
    "新建工单数",
    "首次响应_样本数",
    "首次响应时长中位数_秒",
    "首次响应时长P90_秒",
    "解决_样本数",
    "解决时长中位数_秒",
    "解决时长P90_秒",
    "首次解决率_样本数",
    "首次解决数",
    "首次解决率",
    "重开率_样本数",
    "重开数",
    "重开率",
    "首响SLA_样本数",
    "首响SLA达标数",
    "首响SLA达标率",
    "解决SLA_样本数",
    "解决SLA达标数",
    "解决SLA达标率",
    "满意度_样本数",
    "满意度平均分",
    "满意数",
    "满意率",
    "机器人会话数",
    "机器人独立解决数",
    "机器人独立解决率",
    "期末积压工单数",
)


def safe_cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def _values(figures: Figures) -> list[object]:
    f = figures
    return [
        f.tickets_created,
        f.first_response_time.n,
        f.first_response_time.median_seconds,
        f.first_response_time.p90_seconds,
        f.resolution_time.n,
        f.resolution_time.median_seconds,
        f.resolution_time.p90_seconds,
        f.first_contact_resolution.n,
        f.first_contact_resolution.count,
        f.first_contact_resolution.rate,
        f.reopen.n,
        f.reopen.count,
        f.reopen.rate,
        f.sla_first_response.n,
        f.sla_first_response.count,
        f.sla_first_response.rate,
        f.sla_resolution.n,
        f.sla_resolution.count,
        f.sla_resolution.rate,
        f.csat.n,
        f.csat.average,
        f.csat.satisfied,
        f.csat.satisfied_rate,
        f.bot_containment.n,
        f.bot_containment.count,
        f.bot_containment.rate,
        f.backlog.n,
    ]


def report_csv(report: Report) -> str:
    """One row for the totals, then one per group, in the order of the JSON report."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADERS)
    writer.writerow([safe_cell(cell) for cell in ["total", "", "合计", *_values(report.totals)]])
    for group in report.groups:
        row = [report.group_by, group.key, group.label, *_values(group.figures)]
        writer.writerow([safe_cell(cell) for cell in row])
    return BOM + out.getvalue()


def csv_filename(report: Report) -> str:
    suffix = f"_{report.group_by}" if report.group_by else ""
    return f"kpis_{report.first.isoformat()}_{report.last.isoformat()}{suffix}.csv"
