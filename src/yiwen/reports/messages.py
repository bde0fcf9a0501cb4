"""User-facing texts of exports and scheduled reports."""

from yiwen.core.i18n import register_messages

register_messages(
    {
        "report_filter_not_supported": (
            "{dataset} 导出不支持筛选条件：{field}",
            "The {dataset} export cannot be filtered by {field}",
        ),
        "report_invalid_filter": (
            "筛选条件不正确：{field}",
            "Invalid filter: {field}",
        ),
        "report_subscription_not_found": ("报表订阅不存在", "Report subscription not found"),
        "report_invalid_recipient": (
            "收件人邮箱格式不正确：{recipient}",
            "Invalid recipient address: {recipient}",
        ),
        "report_no_recipients": ("请至少填写一个收件人", "Add at least one recipient"),
        "report_too_many_recipients": (
            "收件人最多 {limit} 个",
            "At most {limit} recipients",
        ),
        "report_invalid_timezone": ("时区不正确：{timezone}", "Unknown time zone: {timezone}"),
        "report_unknown_agent": ("客服不存在：{agent_id}", "No such agent: {agent_id}"),
        "report_email_disabled": (
            "未配置发信服务器（SMTP），无法发送报表",
            "No SMTP server is configured: reports cannot be sent",
        ),
    }
)
