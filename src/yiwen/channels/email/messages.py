"""Texts of the email channel: the internal notes agents read (zh-CN first, English second)."""

from __future__ import annotations

from yiwen.core.i18n import register_messages

register_messages(
    {
        "email.note.auto_reply": (
            "【自动回复，系统未作答复】顾客邮箱 {address} 发来自动回复（主题：{subject}）：\n{excerpt}",
            "[Auto-reply, not answered] {address} sent an automatic reply (subject: {subject}):\n"
            "{excerpt}",
        ),
        "email.note.bounce": (
            "【退信】发往 {address} 的邮件未能送达：{diagnostic}。该地址已标记为退信，"
            "后续邮件将暂停发送，请通过其他渠道联系顾客。",
            "[Bounce] The mail to {address} could not be delivered: {diagnostic}. The address "
            "is marked as bouncing and further mail to it is held; reach the customer another way.",
        ),
        "email.subject.default": ("您的咨询", "Your enquiry"),
        "email.diagnostic.unknown": ("原因未知", "reason unknown"),
    }
)
