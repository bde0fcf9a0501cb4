"""Standard procedures (SOPs), one per actionable intent; each returns the turn's Step."""

from __future__ import annotations

from collections.abc import Callable

from yiwen.bot.sops.account import account_security
from yiwen.bot.sops.delivery import card_invalid, delivery_missing
from yiwen.bot.sops.info import knowledge_answer, needs_human, order_status, ticket_progress
from yiwen.bot.sops.money import payment_issue, refund_request, refund_status
from yiwen.bot.turn import Step, Turn

SOPS: dict[str, Callable[[Turn], Step]] = {
    "delivery_missing": delivery_missing,
    "card_invalid": card_invalid,
    "refund_request": refund_request,
    "refund_status": refund_status,
    "payment_issue": payment_issue,
    "account_security": account_security,
    "order_status": order_status,
    "ticket_progress": ticket_progress,
    "how_to_use": knowledge_answer,
    "presale": knowledge_answer,
    "balance_issue": needs_human,
    "promo_issue": needs_human,
    "bulk_purchase": needs_human,
}
