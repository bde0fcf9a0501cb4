"""User-facing texts of the KPI reports."""

from yiwen.core.i18n import register_messages

register_messages(
    {
        "kpi_invalid_date": (
            "日期格式不正确：{field} 应为 YYYY-MM-DD",
            "Invalid date: {field} must be YYYY-MM-DD",
        ),
        "kpi_range_reversed": ("开始日期不能晚于结束日期", "from must not be after to"),
        "kpi_range_too_long": (
            "统计区间最长 {days} 天",
            "The period may cover at most {days} days",
        ),
        "kpi_unknown_group": (
            "不支持的分组方式：{group_by}（可选 day、agent、category、channel、queue）",
            "Unknown group_by: {group_by} (day, agent, category, channel or queue)",
        ),
        "kpi_other_agent": (
            "您只能查看自己的指标",
            "You may only read your own figures",
        ),
    }
)
