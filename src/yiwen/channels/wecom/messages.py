"""User-facing texts of the WeCom customer-service adapter (zh-CN first, English second)."""

from __future__ import annotations

from yiwen.core.i18n import register_messages

register_messages(
    {
        "wecom_not_a_wecom_conversation": (
            "该会话不是微信客服会话",
            "This conversation is not on WeCom customer service",
        ),
        "wecom_servicer_required": (
            "转给企业微信接待人员时需要填写接待人员 userid",
            "Handing the session to a WeCom servicer needs the servicer's userid",
        ),
        "wecom_state_refused": (
            "企业微信拒绝了会话状态变更：{reason}",
            "WeCom refused the session state change: {reason}",
        ),
    }
)
