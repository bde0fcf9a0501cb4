"""User-facing texts of the staffing plan, the shifts and the service-commitment page."""

from yiwen.core.i18n import register_messages

register_messages(
    {
        "workforce_days_out_of_range": (
            "计划天数应在 1 到 {max} 天之间",
            "days must be between 1 and {max}",
        ),
        "workforce_invalid_service_level": (
            "服务水平应在 0 到 1 之间（如 0.8）",
            "service_level must be between 0 and 1 (e.g. 0.8)",
        ),
        "workforce_invalid_seconds": (
            "时长应在 1 秒到 7 天之间",
            "Durations must be between 1 second and 7 days",
        ),
        "workforce_invalid_concurrency": (
            "并发会话数应在 1 到 50 之间",
            "concurrency must be between 1 and 50",
        ),
        "workforce_shift_not_found": ("排班不存在", "Shift not found"),
        "workforce_shift_agent_unknown": (
            "该员工不存在或不接待客户",
            "No such agent, or the staff member does not work tickets",
        ),
        "workforce_shift_reversed": (
            "下班时间必须晚于上班时间",
            "A shift must end after it starts",
        ),
        "workforce_shift_too_long": (
            "单个班次最长 {hours} 小时",
            "A shift may last at most {hours} hours",
        ),
        "workforce_shift_too_far": (
            "只能安排前后 {days} 天内的班次",
            "Shifts may only be planned within {days} days of today",
        ),
        "workforce_shift_overlap": (
            "{agent} 在 {start} 已有班次，时间不能重叠",
            "{agent} already has a shift at {start}; shifts may not overlap",
        ),
        "workforce_range_too_long": (
            "查询区间最长 {days} 天",
            "The range may cover at most {days} days",
        ),
        "workforce_range_reversed": ("开始时间不能晚于结束时间", "from must not be after to"),
    }
)
