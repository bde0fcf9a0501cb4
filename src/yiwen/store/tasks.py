"""What a shop owner must do by hand when the connected shop cannot do an action itself.

The console and the bot never attempt an action a connector does not declare
(:func:`yiwen.store.protocol.capabilities_of`); they put this task, in Chinese,
on the ticket instead: what to do, in which system, for which order and amount.
A connector may name its back office (``system_name``); the texts use only
what the order shows, so they are built without calling the shop.
"""

from __future__ import annotations

from decimal import Decimal

from yiwen.store.protocol import Order, capabilities_of

ACTION_LABELS = {
    "resend_delivery": "重发卡密",
    "repush_upstream": "重新推送上游",
    "refund": "退款",
    "issue_coupon": "发放优惠券",
    "freeze_account": "冻结账号",
    "unfreeze_account": "解冻账号",
    "replace_card_key": "更换卡密",
    "accounts": "查询店铺账号",
    "card_key_state": "查询卡密是否已使用",
}
DEFAULT_SYSTEM = "店铺后台"


def system_name(store: object) -> str:
    named = getattr(store, "system_name", None)
    return named if isinstance(named, str) and named else DEFAULT_SYSTEM


def owner_task(
    store: object,
    action: str,
    *,
    order: Order | None = None,
    amount: Decimal | None = None,
    shop_user_id: str | None = None,
    reason: str = "",
) -> str:
    """The hand-done version of ``action`` for the shop owner, naming system, order and amount."""
    system = system_name(store)
    order_no = order.order_no if order else "（未指定订单）"
    why = f"（原因：{reason.strip()}）" if reason.strip() else ""
    if action == "refund":
        return _refund_task(system, order, amount) + why
    if action == "repush_upstream":
        return (
            f"请在{system}中查看订单 {order_no}，联系上游供应商人工补单；到账后把订单改为已完成"
            + why
        )
    if action == "resend_delivery":
        return f"请在{system}中查看订单 {order_no} 的卡密，重新发给买家 {_buyer(order)}" + why
    if action == "replace_card_key":
        product = order.items[0].product_name if order and order.items else "该商品"
        return (
            f"请在{system}的卡密库存中为「{product}」取一张未售出的卡密，发给订单 {order_no} 的"
            f"买家 {_buyer(order)}，并标记为已售出；原卡密作废" + why
        )
    if action == "issue_coupon":
        whom = shop_user_id or _buyer(order)
        shown = f"{amount} 元" if amount is not None else "约定金额"
        return f"请在{system}中新建一张 {shown}的优惠券，发给 {whom}" + why
    if action in ("freeze_account", "unfreeze_account"):
        verb = "冻结" if action == "freeze_account" else "解冻"
        whom = shop_user_id or (order.shop_user_id if order else None) or _buyer(order)
        if "accounts" not in capabilities_of(store):
            return (
                f"{system}没有用户账号，无法{verb}；如需拦截买家 {whom}，"
                "请在支付渠道或服务器防火墙中处理" + why
            )
        return f"请在{system}中{verb}用户 {whom}" + why
    return f"请在{system}中为订单 {order_no} 人工处理「{ACTION_LABELS.get(action, action)}」" + why


def _refund_task(system: str, order: Order | None, amount: Decimal | None) -> str:
    if order is None:
        return f"请在{system}中人工退款"
    shown = f"{amount} 元" if amount is not None else f"全额 {order.refundable_amount} 元"
    paid = [p for p in order.payments if p.status != "pending"] or list(order.payments)
    if not paid:
        return f"请在{system}中为订单 {order.order_no} 退款 {shown}"
    payment = paid[0]
    gateway = payment.gateway or payment.method
    trade = payment.trade_no or "（无交易号）"
    return (
        f"{system}不能由一问自动退款。请登录支付渠道「{gateway}」的商户后台，按交易号 {trade} "
        f"为订单 {order.order_no} 原路退款 {shown}，再在{system}中备注该订单"
    )


def _buyer(order: Order | None) -> str:
    return (order.contact if order else None) or "（买家联系方式未知）"
