"""User-facing texts of the SLA feature (errors, timeline sentences)."""

from yiwen.core.i18n import register_messages

register_messages(
    {
        "sla_policy_not_found": ("服务时效策略不存在", "SLA policy not found"),
        "sla_calendar_not_found": ("工作日历不存在", "Business calendar not found"),
        "sla_policy_scope_taken": (
            "该问题类型、优先级和客户等级的组合已有策略",
            "A policy for this category, priority and tier already exists",
        ),
        "sla_calendar_name_taken": ("日历名称已存在", "A calendar with this name exists"),
        "sla_catch_all_needs_targets": (
            "通用策略（全部类型/优先级/等级）必须设置首次响应、再次响应和解决时限",
            "The catch-all policy must set all three targets",
        ),
        "sla_policy_empty": (
            "策略至少要设置一项时限或补偿",
            "A policy must set at least one target or a compensation",
        ),
        "sla_calendar_hours_invalid": (
            "营业时间须为 HH:MM 格式，且开始早于结束",
            "Opening hours must be HH:MM and open before they close",
        ),
        "sla_calendar_timezone_invalid": (
            "未知的时区：{timezone}",
            "Unknown time zone: {timezone}",
        ),
        "sla_calendar_preview_range": (
            "日历预览的天数须在 1 到 {max_days} 之间",
            "A calendar preview covers 1 to {max_days} days",
        ),
        "confirm_not_resolved": (
            "工单尚未处理完成，暂不能确认关闭",
            "The ticket is not resolved, so it cannot be confirmed",
        ),
        "reopen_window_passed": (
            "工单关闭已超过 {days} 天，不能再重新打开，请提交新的工单",
            "The ticket was closed more than {days} days ago; please open a new ticket",
        ),
        "closing.confirm_request": (
            "问题已解决了吗？如已解决请点击确认；如仍有问题，直接回复即可。",
            "Is your problem solved? Please confirm, or just reply if it is not.",
        ),
        "closing.confirmed": ("您已确认问题解决", "You confirmed the problem is solved"),
        "closing.notice": (
            "若{hours}小时内无回复将自动关闭工单，如问题仍未解决请直接回复。",
            "Without a reply within {hours} hours the ticket will be closed automatically.",
        ),
        "closing.auto_closed": (
            "{hours}小时内未收到您的回复，工单已自动关闭；如仍有问题，可在{days}天内重新打开。",
            "No reply within {hours} hours, so the ticket was closed; "
            "you can reopen it within {days} days.",
        ),
        "sla.compensated": (
            "因处理超时，已向您发放 {amount} 元优惠券",
            "We missed our promised time and have issued you a {amount} yuan coupon",
        ),
    }
)
