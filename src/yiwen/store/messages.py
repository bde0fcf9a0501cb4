"""User-facing texts for every error code a store connector raises.

Imported by :mod:`yiwen.store.protocol`, so the codes are registered whenever a
connector can raise them; agents and customers read the zh-CN text.
"""

from __future__ import annotations

from yiwen.core.i18n import register_messages

register_messages(
    {
        "order_not_found": ("未找到订单 {order_no}", "Order {order_no} not found"),
        "account_not_found": (
            "未找到店铺用户 {shop_user_id}",
            "Shop user {shop_user_id} not found",
        ),
        "order_query_empty": (
            "请提供订单号、联系方式或用户 ID 中的至少一项",
            "Give an order number, a contact or a shop user id",
        ),
        "invalid_amount": (
            "金额无效：必须大于 0 且最多两位小数",
            "Invalid amount: it must be positive with at most two decimals",
        ),
        "refund_exceeds_refundable": (
            "退款金额 {amount} 元超过可退金额 {refundable} 元",
            "Refund of {amount} yuan exceeds the refundable {refundable} yuan",
        ),
        "nothing_to_refund": (
            "订单 {order_no} 已无可退金额",
            "Order {order_no} has nothing left to refund",
        ),
        "order_not_paid": ("订单 {order_no} 尚未付款，无法退款", "Order {order_no} is not paid"),
        "delivery_in_progress": (
            "订单 {order_no} 正在等待上游发货结果，请稍后再操作",
            "Order {order_no} is waiting for the supplier; try again when it finishes",
        ),
        "nothing_to_resend": (
            "订单 {order_no} 没有可重发的卡密（非卡密商品或尚未发货）",
            "Order {order_no} has no card keys to resend (not a card-key order or not delivered)",
        ),
        "push_not_applicable": (
            "订单 {order_no} 无需重新推送上游（无上游供应商或已成功发货）",
            "Order {order_no} cannot be re-pushed (no supplier, or already delivered)",
        ),
        "card_key_not_found": (
            "该订单中没有这张卡密",
            "The order has no such card key",
        ),
        "card_key_already_replaced": (
            "订单 {order_no} 的这张卡密已经换过新卡密",
            "This card key of order {order_no} was already replaced",
        ),
        "no_card_key_stock": (
            "商品「{product}」没有未售出的卡密可换，请先补充库存",
            "No unsold card key of {product} in stock; add stock first",
        ),
        "coupon_needs_recipient": (
            "发放优惠券需要指定用户 ID 或联系方式",
            "A coupon needs a shop user id or a contact",
        ),
        "invalid_idempotency_key": (
            "操作编号无效（须为 1 到 200 个字符）",
            "Invalid idempotency key (1 to 200 characters)",
        ),
        "action_reason_required": ("请填写操作原因", "A reason is required for this action"),
        "idempotency_key_reused": (
            "该操作编号已用于另一项操作，请勿重复使用",
            "This idempotency key was already used for a different request",
        ),
    }
)
