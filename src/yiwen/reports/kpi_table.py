"""The KPI report as table rows (exports, the mailed XLSX) and as display texts (the mail).

Rates are written as fractions (0.8333) with a percent format in XLSX, so a
spreadsheet can compute with them; the mail shows them as "83.3%". Every rate
carries its sample size, as in the JSON report: a 100% of 1 case reads differently.
"""

from __future__ import annotations

from yiwen.analytics.figures import Figures, Report
from yiwen.reports.columns import Column, Row

GROUP_NAMES = {
    "day": "日期",
    "agent": "客服",
    "category": "问题类型",
    "channel": "渠道",
    "queue": "队列",
}

KPI_COLUMNS = (
    Column("分组方式", width=10),
    Column("分组", width=16),
    Column("新建工单数", "int", 10),
    Column("首次响应_样本数", "int", 10),
    Column("首次响应时长中位数_秒", "int", 12),
    Column("首次响应时长P90_秒", "int", 12),
    Column("解决_样本数", "int", 10),
    Column("解决时长中位数_秒", "int", 12),
    Column("解决时长P90_秒", "int", 12),
    Column("首次解决率_样本数", "int", 10),
    Column("首次解决率", "percent", 10),
    Column("重开率", "percent", 10),
    Column("首响SLA达标率", "percent", 10),
    Column("解决SLA达标率", "percent", 10),
    Column("满意度_样本数", "int", 10),
    Column("满意度平均分", "number", 10),
    Column("满意率", "percent", 10),
    Column("机器人会话数", "int", 10),
    Column("机器人独立解决率", "percent", 12),
    Column("期末积压工单数", "int", 10),
)


def figure_cells(f: Figures) -> list[object]:
    return [
        f.tickets_created,
        f.first_response_time.n,
        f.first_response_time.median_seconds,
        f.first_response_time.p90_seconds,
        f.resolution_time.n,
        f.resolution_time.median_seconds,
        f.resolution_time.p90_seconds,
        f.first_contact_resolution.n,
        f.first_contact_resolution.rate,
        f.reopen.rate,
        f.sla_first_response.rate,
        f.sla_resolution.rate,
        f.csat.n,
        f.csat.average,
        f.csat.satisfied_rate,
        f.bot_containment.n,
        f.bot_containment.rate,
        f.backlog.n,
    ]


def kpi_rows(report: Report) -> list[Row]:
    group_name = GROUP_NAMES.get(report.group_by or "", "")
    rows: list[Row] = [["合计", "", *figure_cells(report.totals)]]
    rows.extend([group_name, g.label, *figure_cells(g.figures)] for g in report.groups)
    return rows


def percent_text(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def duration_text(seconds: int | None) -> str:
    """ "1小时5分" / "12分30秒" / "45秒": how long, the way a supervisor reads it."""
    if seconds is None:
        return "—"
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}小时{minutes}分"
    if minutes:
        return f"{minutes}分{secs}秒"
    return f"{secs}秒"


def headline(f: Figures) -> list[tuple[str, str, str, str]]:
    """(key, name, value, sample) of the figures the mail leads with (DESIGN: FCR first)."""
    return [
        ("tickets_created", "新建工单", str(f.tickets_created), ""),
        (
            "first_contact_resolution",
            "首次解决率",
            percent_text(f.first_contact_resolution.rate),
            f"{f.first_contact_resolution.count}/{f.first_contact_resolution.n}",
        ),
        (
            "first_response_median",
            "首次响应时长中位数",
            duration_text(f.first_response_time.median_seconds),
            str(f.first_response_time.n),
        ),
        (
            "first_response_p90",
            "首次响应时长P90",
            duration_text(f.first_response_time.p90_seconds),
            str(f.first_response_time.n),
        ),
        (
            "resolution_median",
            "解决时长中位数",
            duration_text(f.resolution_time.median_seconds),
            str(f.resolution_time.n),
        ),
        (
            "resolution_p90",
            "解决时长P90",
            duration_text(f.resolution_time.p90_seconds),
            str(f.resolution_time.n),
        ),
        (
            "sla_resolution",
            "解决SLA达标率",
            percent_text(f.sla_resolution.rate),
            f"{f.sla_resolution.count}/{f.sla_resolution.n}",
        ),
        (
            "csat_average",
            "满意度平均分",
            "—" if f.csat.average is None else f"{f.csat.average:.2f}",
            str(f.csat.n),
        ),
        (
            "csat_satisfied",
            "满意率",
            percent_text(f.csat.satisfied_rate),
            f"{f.csat.satisfied}/{f.csat.n}",
        ),
        (
            "bot_containment",
            "机器人独立解决率",
            percent_text(f.bot_containment.rate),
            f"{f.bot_containment.count}/{f.bot_containment.n}",
        ),
        ("backlog", "期末积压工单", str(f.backlog.n), ""),
    ]
