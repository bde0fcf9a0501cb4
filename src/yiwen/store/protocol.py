"""What Yiwen needs from a shop, whatever the shop runs on.

Every connector (the embedded demo shop, dujiaoka, the signed HTTP connector)
implements :class:`StoreConnector` and must pass ``tests/store/test_contract.py``.
Card keys never leave a connector in clear text except through
:meth:`StoreConnector.reveal_card_key`, which callers permission-check and audit.
Every action that changes the shop takes an idempotency key: the same key
twice performs the action once and returns the first result again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Literal, Protocol, get_args

from yiwen.core.errors import Conflict, NotFound
from yiwen.core.i18n import register_messages
from yiwen.store import messages  # noqa: F401  (registers the store's error texts)

OrderStatus = Literal[
    "pending_payment",  # created, no confirmed payment yet
    "paid",  # paid, delivery not started
    "delivering",  # card key or top-up on its way (upstream processing)
    "delivered",
    "delivery_failed",
    "refunded",
    "partially_refunded",
    "cancelled",
]
PaymentStatus = Literal["pending", "paid", "failed", "refunded", "partially_refunded"]
PaymentMethod = Literal["alipay", "wechat", "qq_wallet", "bank_card", "balance", "usdt"]
DeliveryType = Literal["card_key", "direct_topup"]
DeliveryStatus = Literal["not_started", "processing", "delivered", "failed"]
PushStatus = Literal["pending", "processing", "succeeded", "failed"]
CardKeyState = Literal["unused", "used", "invalid", "expired", "unknown"]
ActionName = Literal[
    "resend_delivery",
    "repush_upstream",
    "refund",
    "issue_coupon",
    "freeze_account",
    "unfreeze_account",
    "replace_card_key",
]
# What a connector can do. A connector without a ``capabilities`` attribute (the
# demo shop) can do everything; one that lacks a capability raises
# ActionNotSupported for it, so the console and the bot offer only what works.
Capability = Literal[
    "resend_delivery",
    "repush_upstream",
    "refund",
    "issue_coupon",
    "freeze_account",
    "unfreeze_account",
    "replace_card_key",  # give the buyer a fresh key from stock for a dead one
    "accounts",  # get_account: the shop has user accounts
    "card_key_state",  # check_card_key knows whether a key was redeemed
]
ALL_CAPABILITIES: frozenset[str] = frozenset(get_args(Capability))


@dataclass(frozen=True)
class OrderItem:
    product_id: str
    product_name: str
    quantity: int
    unit_price: Decimal
    delivery_type: DeliveryType
    region: str | None = None


@dataclass(frozen=True)
class Payment:
    payment_id: str
    method: PaymentMethod
    amount: Decimal
    status: PaymentStatus
    trade_no: str | None
    created_at: datetime
    paid_at: datetime | None
    callback_received: bool
    refunded_amount: Decimal = Decimal("0.00")
    gateway: str | None = None  # the shop's own name for its payment channel


@dataclass(frozen=True)
class CardKey:
    key_id: str
    masked: str  # e.g. "ABCD****WXYZ"; the clear key only via reveal_card_key
    state: CardKeyState
    delivered_at: datetime | None
    used_at: datetime | None = None
    region: str | None = None


@dataclass(frozen=True)
class UpstreamPush:
    push_id: str
    supplier: str
    status: PushStatus
    attempt: int
    created_at: datetime
    updated_at: datetime
    error: str | None = None
    supplier_order_no: str | None = None


@dataclass(frozen=True)
class Delivery:
    delivery_type: DeliveryType
    status: DeliveryStatus
    delivered_at: datetime | None
    card_keys: tuple[CardKey, ...] = ()
    target_account: str | None = None  # the game/phone account for direct top-ups
    resend_count: int = 0


@dataclass(frozen=True)
class OrderSummary:
    order_no: str
    status: OrderStatus
    amount: Decimal
    product_name: str
    created_at: datetime
    contact: str | None
    shop_user_id: str | None


@dataclass(frozen=True)
class Order:
    order_no: str
    status: OrderStatus
    amount: Decimal
    refunded_amount: Decimal
    created_at: datetime
    paid_at: datetime | None
    contact: str | None
    shop_user_id: str | None
    items: tuple[OrderItem, ...]
    payments: tuple[Payment, ...]
    delivery: Delivery
    upstream_pushes: tuple[UpstreamPush, ...] = ()
    supplier: str | None = None
    shop_status: str | None = None  # the shop's own status, e.g. "6 异常", when it says more

    @property
    def refundable_amount(self) -> Decimal:
        return self.amount - self.refunded_amount

    def summary(self) -> OrderSummary:
        name = self.items[0].product_name if self.items else ""
        return OrderSummary(
            order_no=self.order_no,
            status=self.status,
            amount=self.amount,
            product_name=name,
            created_at=self.created_at,
            contact=self.contact,
            shop_user_id=self.shop_user_id,
        )


@dataclass(frozen=True)
class ActionResult:
    """What a shop action did. ``replayed`` is true when the idempotency key was seen before."""

    action: ActionName
    order_no: str | None
    reference: str  # the shop's id for what happened: refund no., coupon code, push id…
    status: Literal["done", "processing"]
    detail: dict[str, str] = field(default_factory=dict)
    amount: Decimal | None = None
    replayed: bool = False


@dataclass(frozen=True)
class CardKeyCheck:
    state: CardKeyState
    order_no: str | None
    product_name: str | None
    used_at: datetime | None = None


@dataclass(frozen=True)
class Account:
    shop_user_id: str
    frozen: bool
    balance: Decimal
    contact: str | None


@dataclass(frozen=True)
class StoreEvent:
    """One upstream push or payment as it stands now, for anomaly counts (yiwen.proactive).

    ``occurred_at`` is when the push was sent or the payment started;
    ``finished_at`` when the supplier answered or the gateway took the money.
    Pushes voided by a re-push or a refund are not events: they say nothing
    about the supplier.
    """

    kind: Literal["upstream_push", "payment"]
    event_id: str
    order_no: str
    occurred_at: datetime
    status: str  # a PushStatus or a PaymentStatus
    finished_at: datetime | None = None
    supplier: str | None = None
    supplier_name: str | None = None
    product_id: str | None = None
    product_name: str | None = None
    delivery_type: str | None = None
    payment_method: str | None = None
    callback_received: bool | None = None
    region: str | None = None  # the buyer's region, when the shop knows it
    contact: str | None = None
    shop_user_id: str | None = None
    order_status: str | None = None


class StoreEventSource(Protocol):
    """What a connector offers when it can list recent pushes and payments (optional)."""

    def recent_events(self, since: datetime, *, limit: int = 5000) -> list[StoreEvent]:
        """Pushes and payments started at or after ``since``, oldest first, at most ``limit``."""
        ...


def event_source_of(connector: object) -> StoreEventSource | None:
    """The connector as an event source, or None when it cannot list events."""
    return connector if callable(getattr(connector, "recent_events", None)) else None  # type: ignore[return-value]


class OrderNotFound(NotFound):
    def __init__(self, order_no: str) -> None:
        super().__init__("order_not_found", order_no=order_no)


class AccountNotFound(NotFound):
    def __init__(self, shop_user_id: str) -> None:
        super().__init__("account_not_found", shop_user_id=shop_user_id)


class StoreActionRefused(Conflict):
    """The shop will not do this (nothing to refund, key not delivered yet, …)."""


class ActionNotSupported(StoreActionRefused):
    """The shop cannot do this from outside; ``task`` tells the shop owner what to do by hand."""

    def __init__(self, action: str, *, task: str, order_no: str | None = None) -> None:
        super().__init__("action_needs_shop_owner", action=action, task=task, order_no=order_no)
        self.action = action
        self.task = task


register_messages(
    {
        "action_needs_shop_owner": (
            "该店铺系统无法由一问自动执行此操作，需要店主处理：{task}",
            "The shop cannot do this from outside; the shop owner must: {task}",
        ),
    }
)


def capabilities_of(connector: object) -> frozenset[str]:
    """What ``connector`` declares it can do; everything when it declares nothing."""
    declared = getattr(connector, "capabilities", None)
    return ALL_CAPABILITIES if declared is None else frozenset(declared)


class StoreUnavailable(Exception):
    """The shop could not be reached or answered badly; retriable after ``retry_after`` s."""

    def __init__(self, reason: str, retry_after: float = 5.0) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class StoreConnector(Protocol):
    name: str
    # Regular expressions (full match) for this shop's order numbers, so the bot
    # can tell an order number from a phone number or a card key.
    order_no_patterns: tuple[str, ...]

    def find_orders(
        self,
        *,
        order_no: str | None = None,
        contact: str | None = None,
        shop_user_id: str | None = None,
        since: datetime | None = None,
        limit: int = 50,
    ) -> list[OrderSummary]: ...

    def get_order(self, order_no: str) -> Order: ...

    def resend_delivery(self, order_no: str, *, idempotency_key: str) -> ActionResult: ...

    def repush_upstream(self, order_no: str, *, idempotency_key: str) -> ActionResult: ...

    def refund(
        self, order_no: str, amount: Decimal | None, *, reason: str, idempotency_key: str
    ) -> ActionResult: ...

    def issue_coupon(
        self,
        *,
        shop_user_id: str | None,
        contact: str | None,
        amount: Decimal,
        reason: str,
        idempotency_key: str,
    ) -> ActionResult: ...

    def get_account(self, shop_user_id: str) -> Account: ...

    def freeze_account(
        self, shop_user_id: str, *, reason: str, idempotency_key: str
    ) -> ActionResult: ...

    def unfreeze_account(
        self, shop_user_id: str, *, reason: str, idempotency_key: str
    ) -> ActionResult: ...

    def replace_card_key(
        self, order_no: str, key_id: str, *, reason: str, idempotency_key: str
    ) -> ActionResult:
        """A fresh key of the same goods from stock for the delivered key ``key_id``.

        The result's ``detail["key_id"]`` names the new key (reveal it like any
        other); a retry with the same key returns the same new key and never
        takes a second one from stock.
        """
        ...

    def check_card_key(self, card_key: str) -> CardKeyCheck: ...

    def reveal_card_key(self, order_no: str, key_id: str) -> str: ...
