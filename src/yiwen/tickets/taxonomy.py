"""Problem types, priorities, demands and the promises that go with them.

The categories are the intent taxonomy of DESIGN.md. Until the SLA engine
(issue 4) brings policies, a ticket's promised times come from the defaults
the seeds name: first response 30 min (10 min if urgent), card-key failures
1 h, refunds 24 h, everything else 24 h.
"""

from __future__ import annotations

from datetime import timedelta

CATEGORIES: dict[str, tuple[str, str]] = {
    "delivery_missing": ("未收到货（卡密/充值未到账）", "Goods not received"),
    "card_invalid": ("卡密无效/已被使用", "Card key does not work"),
    "refund_request": ("申请退款", "Refund request"),
    "refund_status": ("退款进度", "Refund status"),
    "order_status": ("订单查询", "Order status"),
    "payment_issue": ("支付问题（失败/重复扣款）", "Payment problem"),
    "account_security": ("账户安全（被盗/冻结）", "Account security"),
    "balance_issue": ("余额/提现问题", "Balance or withdrawal"),
    "promo_issue": ("优惠券/活动问题", "Coupon or promotion"),
    "how_to_use": ("使用/兑换方法", "How to use"),
    "presale": ("售前咨询", "Pre-sale question"),
    "bulk_purchase": ("批量采购/代理", "Bulk purchase"),
    "complaint": ("投诉", "Complaint"),
    "other": ("其他问题", "Other"),
}

PRIORITIES = ("low", "normal", "high", "urgent")
DEMANDS = ("resend", "refund", "explain", "other")

DEFAULT_FIRST_RESPONSE = timedelta(minutes=30)
URGENT_FIRST_RESPONSE = timedelta(minutes=10)
RESOLUTION_BY_CATEGORY: dict[str, timedelta] = {
    "card_invalid": timedelta(hours=1),
    "delivery_missing": timedelta(hours=1),
    "refund_request": timedelta(hours=24),
    "refund_status": timedelta(hours=24),
}
DEFAULT_RESOLUTION = timedelta(hours=24)

# Categories that start at high priority because money or goods are owed.
HIGH_PRIORITY_CATEGORIES = frozenset(
    {"delivery_missing", "card_invalid", "payment_issue", "account_security", "complaint"}
)


def first_response_target(priority: str, urgent: bool) -> timedelta:
    return URGENT_FIRST_RESPONSE if urgent or priority == "urgent" else DEFAULT_FIRST_RESPONSE


def resolution_target(category: str) -> timedelta:
    return RESOLUTION_BY_CATEGORY.get(category, DEFAULT_RESOLUTION)


def initial_priority(category: str, urgent: bool) -> str:
    if urgent:
        return "urgent"
    return "high" if category in HIGH_PRIORITY_CATEGORIES else "normal"
