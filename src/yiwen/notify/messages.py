"""Error texts of the notify admin API and the texts of the notices customers receive."""

from __future__ import annotations

from yiwen.core.i18n import register_messages

register_messages(
    {
        "webhook_url_invalid": (
            "Webhook 地址无效：只支持 http/https，且不能包含账号密码",
            "Invalid webhook URL: http(s) only, no credentials",
        ),
        "webhook_url_private": (
            "Webhook 地址 {host} 指向内网、本机或保留地址，已拒绝",
            "The webhook host {host} resolves to a private, loopback or reserved address",
        ),
        "webhook_url_unresolvable": (
            "无法解析 Webhook 域名 {host}",
            "The webhook host {host} does not resolve",
        ),
        "webhook_not_found": ("Webhook 不存在", "Webhook endpoint not found"),
        "webhook_events_invalid": ("事件名称无效：{event}", "Invalid event name: {event}"),
        "delivery_not_found": ("投递记录不存在", "Delivery not found"),
        "delivery_not_retriable": (
            "该投递状态为 {status}，无法重试",
            "A delivery in status {status} cannot be retried",
        ),
        # Notices to customers (subject, then text).
        "notice.subject.reply": (
            "【一问】客服回复了您的咨询{ticket}",
            "[Yiwen] An agent replied{ticket}",
        ),
        "notice.reply": (
            "{sender}回复您：\n\n{body}\n\n如需继续沟通，请直接回复或打开会话。",
            "{sender} replied:\n\n{body}",
        ),
        "notice.subject.ticket": (
            "【一问】工单 {number} {label}",
            "[Yiwen] Ticket {number}: {label}",
        ),
        "notice.ticket_created": (
            "您的问题已登记为工单 {number}（{subject}），我们会尽快处理，您可随时凭工单号查询进度。",
            "Your ticket {number} ({subject}) was created.",
        ),
        "notice.status_changed": (
            "您的工单 {number} 状态已更新：{label}。",
            "Ticket {number} is now: {label}.",
        ),
        "notice.resolved": (
            "您的工单 {number} 已处理完毕：{note}\n如问题仍未解决，请直接回复，我们会重新处理。",
            "Ticket {number} was resolved: {note}",
        ),
        "notice.reopened": (
            "您的工单 {number} 已重新打开，我们会继续跟进。",
            "Ticket {number} was reopened.",
        ),
        "notice.compensated": (
            "很抱歉工单 {number} 的处理超出了我们承诺的时间，已为您发放补偿{detail}。",
            "Ticket {number} missed our promised time; we have compensated you{detail}.",
        ),
        "notice.close_notice": (
            "您的工单 {number} 已处理完毕，如无其他问题将于 {closes_at} 自动关闭；如仍有问题请在此之前回复。",
            "Ticket {number} will close automatically at {closes_at} unless you reply.",
        ),
        "notice.queue_position": (
            "当前排队第 {position} 位，预计等待约 {minutes} 分钟。",
            "You are number {position} in the queue, about {minutes} minutes.",
        ),
        "notice.label.created": ("已受理", "created"),
        "notice.label.compensated": ("超时补偿", "compensation"),
        "notice.label.close_notice": ("即将自动关闭", "closing soon"),
        "notice.eta_changed": (
            "您的工单 {number} 的预计完成时间已更新为 {due_at}（北京时间）。",
            "Ticket {number} is now expected to be done by {due_at} (Beijing time).",
        ),
        "notice.label.eta_changed": ("预计完成时间更新", "new expected time"),
        "notice.label.reopened": ("已重新打开", "reopened"),
    }
)
