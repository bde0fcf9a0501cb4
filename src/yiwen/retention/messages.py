"""User-facing texts of retention (zh-CN first, English second)."""

from __future__ import annotations

from yiwen.core.i18n import register_messages

register_messages(
    {
        "retention_archive_days_out_of_range": (
            "归档期限须在 {min} 到 {max} 天之间",
            "The archive period must be between {min} and {max} days",
        ),
        "retention_purge_days_out_of_range": (
            "彻底删除期限须在 {min} 到 {max} 天之间，或留空表示永久保留归档",
            "The purge period must be between {min} and {max} days, or empty to keep archives",
        ),
        "retention_batch_size_out_of_range": (
            "每批会话数须在 {min} 到 {max} 之间",
            "The batch size must be between {min} and {max}",
        ),
        "conversation_archived_staff": (
            "该会话已归档，消息记录可由有权限的人员在「数据保留 › 归档记录」中查看",
            "This conversation is archived; staff with permission can read it under "
            "Retention › Archives",
        ),
        "archive_not_found": ("该会话没有归档记录", "This conversation has no archive"),
        "archive_purged": (
            "该会话的归档记录已按保留策略彻底删除（删除时间 {purged_at}）",
            "This archive was purged under the retention policy (at {purged_at})",
        ),
        "archive_damaged": (
            "归档记录校验失败，内容可能已损坏，请联系管理员",
            "The archive failed its checksum; contact the administrator",
        ),
        "retention_hold_reason_required": (
            "请填写保全原因（例如：诉讼、监管调查）",
            "A reason is required (for example litigation or a regulator's inquiry)",
        ),
        "retention_hold_not_found": ("保全记录不存在或已解除", "No active hold with this id"),
    }
)
