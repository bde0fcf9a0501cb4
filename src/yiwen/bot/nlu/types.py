"""What the NLU hands the rest of the bot: an intent, its confidence and normalised slots."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

INTENTS = (
    "delivery_missing",
    "card_invalid",
    "refund_request",
    "refund_status",
    "order_status",
    "payment_issue",
    "account_security",
    "balance_issue",
    "promo_issue",
    "how_to_use",
    "presale",
    "bulk_purchase",
    "human_agent",
    "complaint",
    "ticket_progress",
    "greeting",
    "thanks",
    "out_of_scope",
)

PAYMENT_METHODS = ("alipay", "wechat", "qq_wallet", "bank_card", "balance", "usdt")


@dataclass(frozen=True)
class Slots:
    """Slots normalised as DESIGN.md says; ``None`` / empty means the message did not say."""

    order_no: tuple[str, ...] = ()
    ticket_no: str | None = None
    amount: Decimal | None = None
    time: str | None = None  # "YYYY-MM-DDTHH:MM", Asia/Shanghai
    payment_method: str | None = None
    phone: str | None = None
    email: str | None = None
    card_key: str | None = None

    def as_json(self) -> dict[str, object]:
        """The CLI's shape: absent slots omitted, amount as a number."""
        out: dict[str, object] = {}
        if self.order_no:
            out["order_no"] = list(self.order_no)
        if self.amount is not None:
            out["amount"] = float(self.amount) if self.amount % 1 else int(self.amount)
        for name in ("time", "payment_method", "phone", "email", "card_key", "ticket_no"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        return out


@dataclass(frozen=True)
class Understanding:
    intent: str
    confidence: float
    slots: Slots = field(default_factory=Slots)
    # Extra signals the dialogue may use (e.g. "external_complaint" for 12315 / 黑猫投诉).
    flags: frozenset[str] = frozenset()
    # The model's three most likely intents with their probabilities, best first, so a
    # clarifying question can offer the likely readings ("退款还是查退款进度？").
    alternatives: tuple[tuple[str, float], ...] = ()
