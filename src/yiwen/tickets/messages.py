"""User-facing texts of the tickets feature."""

from yiwen.core.i18n import register_messages

register_messages(
    {
        "ticket_not_found": ("工单不存在", "Ticket not found"),
        "illegal_status_transition": (
            "工单状态不能从「{current}」变为「{target}」",
            "A ticket cannot move from {current} to {target}",
        ),
        "unknown_category": ("未知的问题类型：{category}", "Unknown problem type: {category}"),
        "unknown_priority": ("未知的优先级：{priority}", "Unknown priority: {priority}"),
        "already_rated": ("本次处理您已评价过，感谢反馈", "This resolution has already been rated"),
        "not_resolved_yet": ("工单尚未解决，暂不能评价", "The ticket is not resolved yet"),
        "invalid_score": ("评分须为 1 到 5 分", "The score must be between 1 and 5"),
        "ticket_verification_failed": (
            "工单号或联系方式不正确",
            "The ticket number or contact does not match",
        ),
        "reopen_not_allowed": ("当前状态的工单不能重新打开", "This ticket cannot be reopened now"),
        "resolution_note_required": ("请填写处理结果说明", "A resolution note is required"),
        "assignee_not_found": (
            "指定的客服不存在或已停用",
            "The agent does not exist or is inactive",
        ),
        "ticket_closed": (
            "工单已关闭，如仍有问题请重新打开",
            "The ticket is closed; reopen it first",
        ),
        "timeline.created": ("工单已创建，编号 {number}", "Ticket {number} created"),
        "timeline.status": ("状态更新为：{label}", "Status changed to: {label}"),
        "timeline.assigned": ("已由 {name} 接手处理", "Now handled by {name}"),
        "timeline.resolved": ("问题已解决：{note}", "Resolved: {note}"),
        "timeline.reopened": ("工单已重新打开", "Ticket reopened"),
        "timeline.reply": ("客服已回复", "An agent replied"),
        "timeline.customer_reply": ("您补充了信息", "You added information"),
        "timeline.evidence": ("已上传凭证 {filename}", "Evidence uploaded: {filename}"),
        "timeline.csat": ("您的评价：{score} 分", "Your rating: {score}"),
        "csat.invite": (
            "您的工单 {number} 已处理完成：{note}\n请为本次服务打分（1-5 分），如问题仍未解决可直接回复重新打开工单。",
            "Your ticket {number} is resolved: {note}\nPlease rate us (1-5); reply to reopen it.",
        ),
        "ticket.opened_notice": (
            "已为您创建工单 {number}，我们承诺 {first_response} 前首次回复，{due} 前处理完成。",
            "Ticket {number} created: first reply by {first_response}, resolved by {due}.",
        ),
    }
)
