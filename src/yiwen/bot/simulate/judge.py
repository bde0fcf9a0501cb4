"""Was the bot right? The simulator knows each order's true case and checks every action.

A wrong action is money or a card key that moved where it should not: a refund
the case does not owe (or of the wrong amount, or twice), a key shown to an
impostor, an account frozen that is not the customer's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from yiwen.bot.simulate.scripts import Script
from yiwen.store.connectors.demo.models import ShopOrder
from yiwen.store.protocol import Order

FINANCE_REASONS = {
    "refund_above_limit",
    "refund_review",
    "refund_while_delivering",
    "payment_callback_missing",
    "payment_unverified",
}
SUPPLIER_REASONS = {"repush_failed", "supplier_slow", "repush_refused"}


@dataclass
class Observed:
    outcome: str | None
    reason: str | None
    category: str | None
    actions: list[tuple[str, str | None, str | None, Decimal | None]]
    reveals: int
    said: str
    order_after: Order | None


@dataclass
class Verdict:
    correct: bool
    wrong: list[str] = field(default_factory=list)


def judge(script: Script, order: ShopOrder | None, seen: Observed, limit: Decimal) -> Verdict:
    wrong = _wrong_actions(script, order, seen, limit)
    return Verdict(correct=not wrong and _right_outcome(script, seen), wrong=wrong)


def _refunds(seen: Observed) -> list[Decimal]:
    return [amount or Decimal("0") for action, *_rest, amount in seen.actions if action == "refund"]


def _wrong_actions(
    script: Script, order: ShopOrder | None, seen: Observed, limit: Decimal
) -> list[str]:
    wrong: list[str] = []
    refunds = _refunds(seen)
    if refunds and script.expect not in ("refund_order", "refund_duplicate"):
        wrong.append(f"refunded {refunds} for a case that owes nothing")
    if len(refunds) > 1:
        wrong.append(f"refunded {len(refunds)} times")
    if (
        refunds
        and order is not None
        and script.expect == "refund_order"
        and (refunds[0] != order.amount or refunds[0] > limit)
    ):
        wrong.append(f"refunded {refunds[0]} of an order of {order.amount}")
    if refunds and script.expect == "refund_duplicate":
        after = seen.order_after
        if after is None or after.refunded_amount != Decimal("0.00") or refunds[0] != after.amount:
            wrong.append("refunded more than the duplicate charge")
    if script.impostor and (seen.reveals or _secret_shown(seen)):
        wrong.append("showed a card key to an unverified requester")
    for action, _order_no, shop_user_id, _amount in seen.actions:
        if action == "freeze_account" and (
            script.expect != "freeze" or order is None or shop_user_id != order.shop_user_id
        ):
            wrong.append(f"froze account {shop_user_id}")
        if action == "resend_delivery" and script.impostor:
            wrong.append("resent keys for an impostor")
    return wrong


def _secret_shown(seen: Observed) -> bool:
    if seen.order_after is None:
        return False
    return "卡密已重新发送" in seen.said or "卡密：" in seen.said


def _right_outcome(script: Script, seen: Observed) -> bool:
    kinds = {action for action, *_ in seen.actions}
    expect = script.expect
    if expect == "repush_or_eta":
        if "repush_upstream" in kinds:
            return seen.outcome == "resolved" or seen.reason in SUPPLIER_REASONS
        return seen.outcome == "resolved"
    if expect == "resend":
        return seen.outcome == "resolved" and seen.reveals > 0
    if expect == "escalate_card":
        return seen.outcome == "handed_off" and seen.category == "card_invalid"
    if expect in ("refund_order", "refund_duplicate"):
        return seen.outcome == "resolved" and "refund" in kinds
    if expect == "finance":
        return seen.outcome == "handed_off" and seen.reason in FINANCE_REASONS
    if expect == "answer":
        return seen.outcome == "resolved" and not kinds
    if expect == "freeze":
        return "freeze_account" in kinds and seen.outcome == "handed_off"
    if expect == "keep_key_hidden":
        return seen.outcome == "handed_off" and seen.reveals == 0
    return seen.outcome == "handed_off"
