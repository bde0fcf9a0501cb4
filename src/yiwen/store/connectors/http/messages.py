"""Texts for the error codes the HTTP contract adds (docs/connector-http.md)."""

from __future__ import annotations

from yiwen.core.i18n import register_messages

register_messages(
    {
        "signature_rejected": ("请求签名无效：{reason}", "Request signature rejected: {reason}"),
        "idempotency_key_required": (
            "操作请求缺少 Idempotency-Key 请求头",
            "Actions need an Idempotency-Key header",
        ),
        "invalid_json": ("请求体不是有效的 JSON 对象", "The body is not a JSON object"),
        "invalid_field": ("字段 {field} 缺失或类型错误", "Field {field} is missing or mistyped"),
        "invalid_since": ("since 不是有效的 ISO 8601 时间", "since is not an ISO 8601 time"),
        "shop_unavailable": ("店铺系统暂时不可用：{reason}", "The shop is unavailable: {reason}"),
    }
)
