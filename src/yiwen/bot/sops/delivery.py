"""SOPs for goods not received (delivery_missing) and keys that do not work (card_invalid)."""

from __future__ import annotations

from datetime import timedelta

from yiwen.bot import actions, replies
from yiwen.bot.casefile import ensure_ticket
from yiwen.bot.followups import schedule_followup
from yiwen.bot.orders import is_buyer, same_contact
from yiwen.bot.sops.common import order_for, refund_method, shop_owner_handoff
from yiwen.bot.turn import Step, Turn, ask, handoff, resolve, say
from yiwen.store.protocol import ActionNotSupported, Order, StoreActionRefused, UpstreamPush

# A supplier answers within minutes; past this a push is stuck and worth pushing again.
NORMAL_SUPPLIER_WAIT = timedelta(minutes=10)
UNDELIVERED = ("paid", "delivering", "delivery_failed")


def delivery_missing(turn: Turn) -> Step:
    found = order_for(turn, "delivery_missing")
    if isinstance(found, Step):
        return found
    order = found
    if order.status == "pending_payment":
        return _unpaid(order)
    if order.status == "cancelled":
        return resolve(replies.CANCELLED.format(order_no=order.order_no))
    if order.status in ("refunded", "partially_refunded"):
        return resolve(
            replies.ALREADY_REFUNDED.format(
                order_no=order.order_no,
                amount=replies.money(order.refunded_amount),
                arrival=replies.refund_arrival(refund_method(order)),
            )
        )
    if order.status == "delivered":
        return deliver_again(turn, order)
    push = latest_push(order)
    processing = push is not None and push.status == "processing"
    if processing and push is not None and not actions.bot_repushed(turn, order.order_no):
        waited = turn.clock.now() - push.created_at
        if waited < NORMAL_SUPPLIER_WAIT:
            return _eta(order, waited)
    return repush_once(turn, order)


def _unpaid(order: Order) -> Step:
    if any(p.paid_at is not None and not p.callback_received for p in order.payments):
        # Paid at the gateway but the shop never heard of it: someone must confirm the money.
        return handoff(
            "payment_callback_missing",
            category="payment_issue",
            priority="high",
            department="finance",
            wants="确认已付款并发货",
        )
    return resolve(replies.UNPAID.format(order_no=order.order_no))


def _eta(order: Order, waited: timedelta) -> Step:
    minutes = int(waited.total_seconds() // 60)
    remaining = max(1, int((NORMAL_SUPPLIER_WAIT - waited).total_seconds() // 60) + 1)
    return resolve(replies.ETA.format(order_no=order.order_no, waited=minutes, eta=remaining))


def latest_push(order: Order) -> UpstreamPush | None:
    pushes = sorted(order.upstream_pushes, key=lambda p: p.attempt)
    return pushes[-1] if pushes else None


def repush_once(turn: Turn, order: Order) -> Step:
    """Push to the supplier again, once per order; a second failure goes to supplier liaison."""
    if not actions.can(turn, "repush_upstream"):
        return _owner_delivers(turn, order, "repush_upstream")
    if actions.bot_repushed(turn, order.order_no):
        push = latest_push(order)
        if push is not None and push.status == "processing":
            return say(replies.REPUSH_STILL.format(order_no=order.order_no))
        return _to_liaison("repush_failed")
    try:
        actions.repush(turn, order.order_no)
    except ActionNotSupported as refused:
        return _owner_delivers(turn, order, "repush_upstream", task=refused.task)
    except StoreActionRefused as refused:
        if refused.code == "delivery_in_progress":
            return _eta(order, NORMAL_SUPPLIER_WAIT / 2)
        return _to_liaison("repush_refused")
    schedule_followup(turn, order.order_no)
    ticket = ensure_ticket(turn, turn.session.goal)
    return say(replies.REPUSHED.format(order_no=order.order_no, ticket=ticket.number))


def _owner_delivers(turn: Turn, order: Order, action: str, *, task: str | None = None) -> Step:
    return shop_owner_handoff(
        turn,
        action,
        order,
        reason=f"{action}_not_supported",
        category="delivery_missing",
        priority="high",
        department="supplier_liaison",
        wants="尽快收到卡密/充值",
        task=task,
    )


def _to_liaison(reason: str) -> Step:
    return handoff(
        reason,
        category="delivery_missing",
        priority="high",
        department="supplier_liaison",
        wants="尽快到账，否则退款",
    )


def deliver_again(turn: Turn, order: Order) -> Step:
    """A delivered order the customer did not get: resend to the verified buyer only."""
    item = order.items[0] if order.items else None
    if item is not None and item.delivery_type == "direct_topup":
        return resolve(
            replies.TOPUP_DONE.format(
                order_no=order.order_no,
                time=replies.local_time(order.delivery.delivered_at),
                account=order.delivery.target_account or "-",
            )
        )
    if not actions.can(turn, "resend_delivery"):
        # The owner sends to the order's own contact, so no buyer check is needed first.
        return _owner_delivers(turn, order, "resend_delivery")
    if not is_buyer(turn, order):
        return _verify_buyer(turn, order)
    turn.add_to("verified_orders", order.order_no)
    keys = [k for k in order.delivery.card_keys if k.state != "invalid"]
    if not keys:
        return _to_liaison("no_key_to_resend")
    try:
        actions.resend(turn, order.order_no)
    except ActionNotSupported as refused:
        return _owner_delivers(turn, order, "resend_delivery", task=refused.task)
    except StoreActionRefused:
        return _to_liaison("resend_refused")
    secrets = actions.reveal_keys(turn, order.order_no, [k.key_id for k in keys])
    ticket = ensure_ticket(turn, turn.session.goal)
    return resolve(
        replies.RESENT.format(
            order_no=order.order_no, ticket=ticket.number, keys="\n".join(secrets)
        )
    )


def _verify_buyer(turn: Turn, order: Order) -> Step:
    """Ask for the purchase contact; a wrong one twice goes to a human, keys stay hidden."""
    given = turn.fact("contact")
    tried = turn.fact_list("contacts_tried")
    if given and given not in tried and not same_contact(given, order.contact):
        turn.add_to("contacts_tried", given)
        if len(tried) + 1 >= 2:
            return handoff("buyer_unverified", category="delivery_missing", wants="补发卡密")
        return ask("verify_contact", replies.CONTACT_MISMATCH.format(order_no=order.order_no))
    return ask("verify_contact", replies.ASK_CONTACT_TO_VERIFY.format(order_no=order.order_no))


def card_invalid(turn: Turn) -> Step:
    """Check the key's state, then escalate to supplier liaison at high priority."""
    key_text = turn.fact("card_key")
    if key_text and not turn.fact("card_key_state"):
        check = turn.store.check_card_key(key_text)
        turn.remember("card_key_state", check.state)
        if check.order_no and not turn.fact("order_no"):
            turn.remember("order_no", check.order_no)
    found = order_for(turn, "card_invalid")
    if isinstance(found, Step):
        return found
    order = found
    if order.status in UNDELIVERED or order.status == "pending_payment":
        turn.session.goal = "delivery_missing"
        return delivery_missing(turn)
    item_region = order.items[0].region if order.items else None
    states = [k.state for k in order.delivery.card_keys]
    turn.remember("card_key_states", states)
    wrong = [k.region for k in order.delivery.card_keys if k.region and k.region != item_region]
    if wrong and item_region:
        turn.remember("region_problem", f"应为{item_region}，实发{wrong[0]}")
    found_states = "、".join(replies.KEY_STATE_LABELS.get(s, s) for s in states) or "无卡密"
    turn.add_to("done", f"核查卡密状态：{found_states}")
    if not actions.can(turn, "replace_card_key"):
        # The bot never swaps keys on a customer's word; whoever confirms the key is dead
        # must then do it by hand in the shop's system.
        actions.note_shop_owner_task(turn, "replace_card_key", order=order, reason="卡密无法使用")
    return handoff(
        "card_invalid",
        category="card_invalid",
        priority="high",
        department="supplier_liaison",
        wants="更换可用卡密或退款",
        text=replies.KEY_CHECKED.format(order_no=order.order_no, states=found_states),
    )
