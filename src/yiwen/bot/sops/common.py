"""What every order SOP starts with: the order, and the facts about it worth remembering."""

from __future__ import annotations

from decimal import Decimal

from yiwen.bot import actions, replies
from yiwen.bot.orders import identify_order
from yiwen.bot.turn import Step, Turn, handoff
from yiwen.store.protocol import Order
from yiwen.store.tasks import ACTION_LABELS, system_name

CAPTURED = ("paid", "partially_refunded", "refunded")
# Told to the customer when the shop's system cannot do what their case needs: the
# truth (a person must do it in the shop's back office), never a promise the bot can't keep.
NEEDS_SHOP_OWNER = (
    "订单 {order_no} 需要「{label}」，这一步只能由店主在{system}中人工完成，机器人无法代办。"
    "我已把处理事项（订单、金额、操作）写进工单交给店主，处理后会在这里通知您。"
)


def order_for(turn: Turn, intent: str) -> Order | Step:
    """The order (its facts noted for the case summary), or the step that finds it."""
    found = identify_order(turn, intent)
    if isinstance(found, Order):
        turn.remember("order_no", found.order_no)
        turn.remember("order_status", found.status)
        turn.remember("order_amount", replies.money(found.amount))
        turn.remember("order_paid_at", replies.local_time(found.paid_at))
        # Which supplier and goods: what an announcement's scope is matched against.
        if found.supplier:
            turn.remember("order_supplier", found.supplier)
        if found.items:
            turn.remember("order_product_id", found.items[0].product_id)
            turn.remember("order_delivery_type", found.items[0].delivery_type)
        method = refund_method(found)
        if method:
            turn.remember("order_payment_method", method)
    return found


def refund_method(order: Order) -> str | None:
    """How the customer paid (the first captured payment), which is where refunds go back."""
    paid = sorted((p for p in order.payments if p.status in CAPTURED), key=lambda p: p.created_at)
    if paid:
        return paid[0].method
    return order.payments[0].method if order.payments else None


def shop_owner_handoff(
    turn: Turn,
    action: str,
    order: Order,
    *,
    reason: str,
    category: str,
    department: str,
    wants: str,
    amount: Decimal | None = None,
    priority: str | None = None,
    task: str | None = None,
) -> Step:
    """Hand off an action the shop cannot do from outside, with the owner's task on the case."""
    actions.note_shop_owner_task(
        turn,
        action,
        order=order,
        amount=amount,
        shop_user_id=order.shop_user_id,
        reason=wants,
        task=task,
    )
    return handoff(
        reason,
        category=category,
        priority=priority,
        department=department,
        wants=wants,
        text=NEEDS_SHOP_OWNER.format(
            order_no=order.order_no,
            label=ACTION_LABELS.get(action, action),
            system=system_name(turn.store),
        ),
    )
