"""Finding the order a customer means, and whether they are its buyer.

The order number in the message wins; else the customer's recent orders (by
shop user id and known contacts) narrowed to those that fit the complaint — one
is proposed for confirmation, several are listed; else the bot asks once for
the order number or the contact used at purchase, and hands off if that fails.
"""

from __future__ import annotations

from datetime import timedelta

from yiwen.bot import replies
from yiwen.bot.turn import Step, Turn, ask, handoff
from yiwen.core.errors import InvalidInput
from yiwen.customers.service import normalise_contact
from yiwen.store.protocol import Order, OrderNotFound, OrderSummary

RECENT = timedelta(days=90)
LISTED = 3

# Which of a customer's orders could be the one a complaint is about.
_OPEN = {"paid", "delivering", "delivery_failed", "pending_payment"}
PLAUSIBLE_STATUS: dict[str, set[str]] = {
    "delivery_missing": _OPEN,
    "card_invalid": {"delivered"},
    "refund_request": {"paid", "delivering", "delivery_failed", "delivered"},
    "refund_status": {"refunded", "partially_refunded"},
    "payment_issue": {"paid", "delivering", "delivered", "delivery_failed", "pending_payment"},
}
PLAUSIBLE_AGE: dict[str, timedelta] = {
    "delivery_missing": timedelta(days=7),
    "card_invalid": timedelta(days=30),
    "refund_request": timedelta(days=30),
    "refund_status": timedelta(days=30),
    "payment_issue": timedelta(days=14),
}


def identify_order(turn: Turn, intent: str) -> Order | Step:
    """The order this turn is about, or the question / handoff that gets us there."""
    order_no = turn.fact("order_no")
    if order_no:
        try:
            return turn.store.get_order(order_no)
        except OrderNotFound:
            turn.forget("order_no")
            turn.add_to("unknown_order_nos", order_no)
            if len(turn.fact_list("unknown_order_nos")) >= 2:
                return handoff("order_not_found", wants="核实订单号")
            return ask("order_no", replies.ORDER_NOT_FOUND.format(order_no=order_no))
    candidates = _plausible(turn, intent, recent_orders(turn))
    if len(candidates) == 1:
        only = candidates[0]
        turn.remember("proposed_order", only.order_no)
        return ask(
            "confirm_order",
            replies.CONFIRM_ORDER.format(
                order_no=only.order_no,
                product=only.product_name,
                amount=replies.money(only.amount),
                time=replies.local_time(only.created_at),
            ),
        )
    if candidates:
        lines = "\n".join(replies.order_line(o) for o in candidates[:LISTED])
        turn.remember("asked_order", True)
        return ask("order_no", replies.ASK_ORDER_WHICH.format(lines=lines))
    if turn.facts.get("asked_order"):
        return handoff("order_unknown", wants="查找订单")
    turn.remember("asked_order", True)
    return ask("order_no", replies.ASK_ORDER)


def recent_orders(turn: Turn) -> list[OrderSummary]:
    """The customer's orders of the last 90 days, newest first, each once."""
    since = turn.clock.now() - RECENT
    found: dict[str, OrderSummary] = {}
    for shop_user_id in turn.shop_user_ids():
        for order in turn.store.find_orders(shop_user_id=shop_user_id, since=since, limit=20):
            found.setdefault(order.order_no, order)
    for contact in turn.contacts():
        for order in turn.store.find_orders(contact=contact, since=since, limit=20):
            found.setdefault(order.order_no, order)
    return sorted(found.values(), key=lambda o: o.created_at, reverse=True)


def _plausible(turn: Turn, intent: str, orders: list[OrderSummary]) -> list[OrderSummary]:
    statuses = PLAUSIBLE_STATUS.get(intent)
    oldest = turn.clock.now() - PLAUSIBLE_AGE.get(intent, timedelta(days=30))
    return [
        o for o in orders if o.created_at >= oldest and (statuses is None or o.status in statuses)
    ]


def same_contact(a: str | None, b: str | None) -> bool:
    if not a or not b:
        return False
    return _normalised(a) == _normalised(b)


def _normalised(contact: str) -> str:
    try:
        return normalise_contact(contact)[1]
    except InvalidInput:  # a contact in another format only matches itself
        return contact.strip().lower()


def is_buyer(turn: Turn, order: Order) -> bool:
    """Whether this conversation's customer provably placed the order.

    Proof is a shop account of the customer that owns the order, or a contact
    (known for the customer, or given in this conversation) equal to the order's.
    """
    if order.order_no in turn.fact_list("verified_orders"):
        return True
    if order.shop_user_id and order.shop_user_id in turn.shop_user_ids():
        return True
    return any(same_contact(c, order.contact) for c in turn.contacts())
