"""User-facing texts of the WeChat Official Account adapter (zh-CN first, English second)."""

from __future__ import annotations

from yiwen.core.i18n import register_messages

register_messages(
    {
        "wechat_welcome": (
            "您好，欢迎关注！订单没到账、卡密无效、退款进度等问题，直接发消息给我们即可，"
            "机器人客服 7×24 小时在线，需要时会为您转接人工。",
            "Welcome! Send us a message about an order, a card key or a refund: "
            "the bot answers around the clock and brings in a person when needed.",
        ),
        "wechat_window_closed_note": (
            "【未送达】客户最后一次与公众号互动是 {last}，已超过 48 小时，微信不允许再通过客服消息"
            "主动发送，上一条回复没有发出。请等客户再次发消息后回复，或改用邮件/短信联系客户。",
            "[Not delivered] The customer last interacted with the Official Account at {last}, "
            "more than 48 hours ago; WeChat refuses customer-service messages after that, so the "
            "last reply was not sent. Reply once the customer writes again, or use email/SMS.",
        ),
        "wechat_not_a_wechat_conversation": (
            "该会话不是公众号会话",
            "This conversation is not on a WeChat Official Account",
        ),
    }
)
