"""User-facing texts of the channels feature (zh-CN first, English second)."""

from __future__ import annotations

from yiwen.core.i18n import register_messages

register_messages(
    {
        "channel_unknown": ("不支持的渠道：{channel}", "Unknown channel: {channel}"),
        "channel_account_not_found": ("渠道账号不存在", "Channel account not found"),
        "channel_account_disabled": ("该渠道账号已停用", "This channel account is disabled"),
        "channel_account_name_required": ("请填写渠道账号名称", "A channel account needs a name"),
        "channel_config_invalid": (
            "渠道配置项 {field} 无效",
            "The channel setting {field} is invalid",
        ),
        "channel_config_missing": (
            "缺少渠道配置项：{fields}",
            "Missing channel settings: {fields}",
        ),
        "channel_signature_invalid": (
            "签名校验失败，消息已拒收",
            "The signature does not match; the message was refused",
        ),
        "channel_payload_invalid": (
            "无法解析渠道推送的内容",
            "The channel's payload could not be read",
        ),
        "channel_file_not_sent": (
            "（附件「{name}」无法通过此渠道发送，如需查看请联系客服换一种方式提供）",
            '(The file "{name}" cannot be sent on this channel; ask us for another way to get it)',
        ),
        "channel_secrets_unreadable": (
            "渠道密钥无法解密（服务器密钥已更换？），请重新填写",
            "The channel secrets cannot be decrypted (was the server secret changed?); enter them again",
        ),
    }
)
