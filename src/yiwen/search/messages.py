"""User-facing texts of search (zh-CN first, English second)."""

from __future__ import annotations

from yiwen.core.i18n import register_messages

register_messages(
    {
        "search_query_empty": (
            "请输入要搜索的词（订单号、工单号或消息中的文字）",
            "Type something to search for (an order number, a ticket number or words from a message)",
        ),
    }
)
