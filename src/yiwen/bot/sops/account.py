"""SOP for a stolen or abused account: freeze at once, then hand to account security.

Freezing only protects (it is undone by security staff), so the bot does it on
the customer's word, but only for an account tied to this customer: their shop
login, or the account behind an order placed with their contact.
"""

from __future__ import annotations

from yiwen.bot import actions, replies
from yiwen.bot.orders import is_buyer, recent_orders
from yiwen.bot.turn import Step, Turn, ask, handoff
from yiwen.store.protocol import ActionNotSupported, OrderNotFound

# Said instead of "frozen" where the shop's system has no way to freeze from outside.
NOT_FROZEN = "本店系统无法由机器人冻结账户，我已把冻结和核查请求交给店主与账户安全专员优先处理。"


def account_security(turn: Turn) -> Step:
    shop_user_id = _account_of(turn)
    if shop_user_id is None:
        if not turn.facts.get("asked_account"):
            turn.remember("asked_account", True)
            return ask("order_no", replies.ASK_ORDER)
        return _to_security("account_unidentified", "")
    turn.remember("shop_user_id", shop_user_id)
    if not actions.can(turn, "freeze_account"):
        actions.note_shop_owner_task(
            turn, "freeze_account", order=None, shop_user_id=shop_user_id, reason="顾客报告账号被盗"
        )
        return _to_security("freeze_not_supported", NOT_FROZEN)
    try:
        actions.freeze(turn, shop_user_id)
    except ActionNotSupported as refused:
        actions.note_shop_owner_task(
            turn, "freeze_account", order=None, shop_user_id=shop_user_id, task=refused.task
        )
        return _to_security("freeze_not_supported", NOT_FROZEN)
    return _to_security("account_security", replies.FROZEN)


def _account_of(turn: Turn) -> str | None:
    own = turn.shop_user_ids()
    if own:
        return own[0]
    order_no = turn.fact("order_no")
    if order_no:
        try:
            order = turn.store.get_order(order_no)
        except OrderNotFound:
            order = None
        if order is not None and order.shop_user_id and is_buyer(turn, order):
            return order.shop_user_id
    for summary in recent_orders(turn):
        if summary.shop_user_id:
            return summary.shop_user_id
    return None


def _to_security(reason: str, text: str) -> Step:
    return handoff(
        reason,
        category="account_security",
        priority="urgent",
        urgent=True,
        department="security",
        wants="冻结账户、找回账户并追回损失",
        text=text,
    )
