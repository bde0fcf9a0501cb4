"""SOPs where money is at stake: refund requests, refund status, payment problems.

The bot refunds on its own only what is provably owed: an undelivered order up
to ``bot_auto_refund_limit``, or the duplicate charge of an order paid twice.
Everything else goes to finance with the 24 h promise.
"""

from __future__ import annotations

from decimal import Decimal

from yiwen.bot import actions, replies
from yiwen.bot.casefile import ensure_ticket
from yiwen.bot.sops.common import CAPTURED, order_for, refund_method, shop_owner_handoff
from yiwen.bot.sops.delivery import latest_push
from yiwen.bot.turn import Step, Turn, handoff, resolve
from yiwen.store.protocol import ActionNotSupported, Order, StoreActionRefused

ZERO = Decimal("0.00")


def _to_finance(reason: str, wants: str, category: str = "refund_request") -> Step:
    return handoff(reason, category=category, department="finance", wants=wants)


def _review(turn: Turn, order: Order, reason: str, wants: str, amount: Decimal) -> Step:
    """Finance reviews; where the shop cannot refund from outside, the case says how by hand."""
    if not actions.can(turn, "refund"):
        actions.note_shop_owner_task(turn, "refund", order=order, amount=amount, reason=wants)
    return _to_finance(reason, wants)


def _owner_refunds(
    turn: Turn, order: Order, amount: Decimal, category: str, *, task: str | None = None
) -> Step:
    return shop_owner_handoff(
        turn,
        "refund",
        order,
        reason="refund_not_supported",
        category=category,
        department="finance",
        wants=f"退款 {replies.money(amount)} 元",
        amount=amount,
        task=task,
    )


def refund_request(turn: Turn) -> Step:
    found = order_for(turn, "refund_request")
    if isinstance(found, Step):
        return found
    order = found
    if order.status == "pending_payment":
        return resolve(replies.UNPAID.format(order_no=order.order_no))
    if order.status == "cancelled":
        return resolve(replies.CANCELLED.format(order_no=order.order_no))
    if order.refundable_amount <= ZERO or order.status == "refunded":
        return resolve(
            replies.ALREADY_REFUNDED.format(
                order_no=order.order_no,
                amount=replies.money(order.refunded_amount),
                arrival=replies.refund_arrival(refund_method(order)),
            )
        )
    amount = order.refundable_amount
    if order.delivery.status == "delivered" or order.status not in (
        "paid",
        "delivering",
        "delivery_failed",
    ):
        return _review(
            turn, order, "refund_review", f"已发货订单申请退款 {replies.money(amount)} 元", amount
        )
    push = latest_push(order)
    if push is not None and push.status == "processing":
        return _review(
            turn,
            order,
            "refund_while_delivering",
            f"发货中订单申请退款 {replies.money(amount)} 元",
            amount,
        )
    if amount > turn.settings.bot_auto_refund_limit:
        return _review(
            turn, order, "refund_above_limit", f"退款 {replies.money(amount)} 元", amount
        )
    if not actions.can(turn, "refund"):
        return _owner_refunds(turn, order, amount, "refund_request")
    try:
        done = actions.refund(
            turn, order.order_no, amount, target="order", reason="未发货订单，机器人按规则原路退款"
        )
    except ActionNotSupported as refused:
        return _owner_refunds(turn, order, amount, "refund_request", task=refused.task)
    except StoreActionRefused:
        return _to_finance("refund_refused", f"退款 {replies.money(amount)} 元")
    ticket = ensure_ticket(turn, turn.session.goal)
    return resolve(
        replies.REFUNDED.format(
            order_no=order.order_no,
            amount=replies.money(done.record.amount),
            reference=done.record.reference,
            ticket=ticket.number,
            arrival=replies.refund_arrival(refund_method(order)),
        )
    )


def refund_status(turn: Turn) -> Step:
    found = order_for(turn, "refund_status")
    if isinstance(found, Step):
        return found
    order = found
    arrival = replies.refund_arrival(refund_method(order))
    paid_back = sum((p.refunded_amount for p in order.payments), ZERO)
    if order.refunded_amount > ZERO and paid_back < order.refunded_amount:
        return resolve(
            replies.REFUND_STATUS_PROCESSING.format(order_no=order.order_no, arrival=arrival)
        )
    if paid_back > ZERO:
        return resolve(
            replies.REFUND_STATUS_DONE.format(
                order_no=order.order_no, amount=replies.money(paid_back), arrival=arrival
            )
        )
    status = replies.ORDER_STATUS_LABELS.get(order.status, order.status)
    return resolve(replies.REFUND_STATUS_NONE.format(order_no=order.order_no, status=status))


def payment_issue(turn: Turn) -> Step:
    """Charged twice: find the extra captured payment and refund exactly that one."""
    found = order_for(turn, "payment_issue")
    if isinstance(found, Step):
        return found
    order = found
    if order.status == "pending_payment":
        if any(p.paid_at is not None and not p.callback_received for p in order.payments):
            return _to_finance("payment_callback_missing", "确认已付款并发货", "payment_issue")
        return resolve(replies.UNPAID.format(order_no=order.order_no))
    captured = sorted(
        (p for p in order.payments if p.status in CAPTURED), key=lambda p: p.created_at
    )
    extra = captured[1:]
    if not extra or sum((p.amount for p in captured), ZERO) <= order.amount:
        return _to_finance("payment_unverified", "核实扣款记录", "payment_issue")
    owed = sum((p.amount - p.refunded_amount for p in extra), ZERO)
    if owed <= ZERO:
        return resolve(
            replies.ALREADY_REFUNDED.format(
                order_no=order.order_no,
                amount=replies.money(sum((p.refunded_amount for p in extra), ZERO)),
                arrival=replies.refund_arrival(extra[0].method),
            )
        )
    if not actions.can(turn, "refund"):
        return _owner_refunds(turn, order, owed, "payment_issue")
    try:
        done = actions.refund(
            turn,
            order.order_no,
            owed,
            target="duplicate:" + ",".join(p.payment_id for p in extra),
            reason="重复扣款，退回多扣的款项",
        )
    except ActionNotSupported as refused:
        return _owner_refunds(turn, order, owed, "payment_issue", task=refused.task)
    except StoreActionRefused:
        return _to_finance("duplicate_refund_refused", "退回重复扣款", "payment_issue")
    ticket = ensure_ticket(turn, turn.session.goal)
    return resolve(
        replies.DUPLICATE_REFUNDED.format(
            order_no=order.order_no,
            amount=replies.money(done.record.amount),
            reference=done.record.reference,
            ticket=ticket.number,
            arrival=replies.refund_arrival(extra[0].method),
        )
    )
