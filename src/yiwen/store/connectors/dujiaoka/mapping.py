"""dujiaoka's columns and codes as the protocol's shapes; docs/connectors.md lists the mapping.

dujiaoka (Laravel) writes its timestamps as naive local times of the shop's
timezone, so every time read here is interpreted in that timezone and turned
into aware UTC, and every time sent to it goes the other way.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any

from yiwen.store.protocol import (
    CardKey,
    Delivery,
    DeliveryStatus,
    Order,
    OrderItem,
    OrderStatus,
    OrderSummary,
    Payment,
    PaymentMethod,
    PaymentStatus,
    StoreUnavailable,
)

# orders.status → (Yiwen order status, the shop's own label shown to agents).
STATUSES: dict[int, tuple[OrderStatus, str]] = {
    1: ("pending_payment", "1 待支付"),
    2: ("paid", "2 待处理"),
    3: ("delivering", "3 处理中"),
    4: ("delivered", "4 已完成"),
    5: ("delivery_failed", "5 处理失败"),
    6: ("delivery_failed", "6 异常"),
    -1: ("cancelled", "-1 已过期"),
}
DELIVERY_STATUSES: dict[int, DeliveryStatus] = {
    1: "not_started",
    -1: "not_started",
    2: "not_started",
    3: "processing",
    4: "delivered",
    5: "failed",
    6: "failed",
}
UNPAID = (1, -1)
TYPE_AUTOMATIC = 1  # orders.type / goods.type: 1 自动发货 (card keys), 2 人工处理 (manual)

# pays.pay_check → payment method; unknown gateways fall back on the gateway's name.
_METHODS: dict[str, PaymentMethod] = {
    **dict.fromkeys(("zfbf2f", "aliweb", "mzfb", "pszfb", "alipay", "vzfb"), "alipay"),
    **dict.fromkeys(("wescan", "mwx", "pswx", "payjswescan", "wxpay", "vwx"), "wechat"),
    **dict.fromkeys(("mqq", "qqpay"), "qq_wallet"),
    **dict.fromkeys(("epusdt", "coinbase"), "usdt"),
    **dict.fromkeys(("paypal", "stripe"), "bank_card"),
}


def payment_method(pay_check: str | None, pay_name: str | None) -> PaymentMethod:
    check = (pay_check or "").strip().lower()
    if check in _METHODS:
        return _METHODS[check]
    if check.startswith("tokenpay"):
        return "usdt"
    name = pay_name or ""
    if "支付宝" in name:
        return "alipay"
    if "微信" in name:
        return "wechat"
    if "QQ" in name.upper():
        return "qq_wallet"
    return "bank_card"


def mask_key(secret: str) -> str:
    """First four and last four characters, enough to tell keys apart but not to redeem one."""
    if len(secret) <= 8:
        return "****"
    return f"{secret[:4]}****{secret[-4:]}"


def info_lines(info: str | None) -> list[str]:
    """dujiaoka delivers the sold carmis joined by line breaks into ``orders.info``."""
    return [line.strip() for line in (info or "").splitlines() if line.strip()]


def key_id(order_sn: str, position: int) -> str:
    """Key ids name the order, so a key id of one order never opens a key of another."""
    return f"{order_sn}-{position}"


def replacement_key_id(order_sn: str, carmi_id: int) -> str:
    """A replacement key is named by its carmi, so it never collides with a delivered line."""
    return f"{order_sn}-C{carmi_id}"


def paid_time(row: dict[str, Any], status: int, zone: tzinfo) -> datetime | None:
    """When the payment callback reached the shop, as far as dujiaoka's columns tell.

    dujiaoka keeps no payment time. Its payment callback (``completedOrder``) is
    the save that moves an order out of 1 待支付: an automatic order is delivered
    (4), found out of stock (6) or failed (5) in that same save, a manual order
    becomes 2 待处理. So ``updated_at`` is the payment time for every paid
    automatic order and for a manual order still at 2; once the owner moves a
    manual order on, ``updated_at`` is that later edit and the payment time is lost.
    """
    if status in UNPAID or row["updated_at"] is None:
        return None
    if int(row["type"]) == TYPE_AUTOMATIC or status == 2:
        return to_utc(row["updated_at"], zone)
    return None


def to_utc(value: object, zone: tzinfo) -> datetime:
    if not isinstance(value, datetime):
        raise StoreUnavailable(f"dujiaoka returned a non-time value {value!r}")
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    return value.astimezone(UTC)


def to_shop_time(value: datetime, zone: tzinfo) -> datetime:
    return value.astimezone(zone).replace(tzinfo=None)


def _money(value: object) -> Decimal:
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError) as exc:
        raise StoreUnavailable(f"dujiaoka returned a non-amount {value!r}") from exc
    if not amount.is_finite():
        raise StoreUnavailable(f"dujiaoka returned a non-amount {value!r}")
    return amount


def _status(row: dict[str, Any]) -> int:
    status = row["status"]
    if status not in STATUSES:
        raise StoreUnavailable(
            f"dujiaoka order {row['order_sn']} has an unknown status {status!r}", retry_after=60
        )
    return int(status)


def product_name(row: dict[str, Any]) -> str:
    """The goods' name when the goods still exist, else the order's own title."""
    return str(row.get("gd_name") or row["title"])


def summary_from_row(row: dict[str, Any], zone: tzinfo) -> OrderSummary:
    return OrderSummary(
        order_no=row["order_sn"],
        status=STATUSES[_status(row)][0],
        amount=_money(row["actual_price"]),
        product_name=product_name(row),
        created_at=to_utc(row["created_at"], zone),
        contact=row["email"],
        shop_user_id=row["email"],
    )


def order_from_row(
    row: dict[str, Any],
    zone: tzinfo,
    *,
    resend_count: int,
    replacements: tuple[tuple[str, int, str, datetime], ...] = (),
) -> Order:
    """``replacements``: (replaced key id, carmi id, carmi, when) for each replacement key."""
    status = _status(row)
    order_sn = row["order_sn"]
    created = to_utc(row["created_at"], zone)
    updated = to_utc(row["updated_at"] or row["created_at"], zone)
    automatic = int(row["type"]) == TYPE_AUTOMATIC
    delivered_at = updated if status == 4 else None
    amount = _money(row["actual_price"])
    keys: tuple[CardKey, ...] = ()
    if automatic and status == 4:
        replaced = {old for old, _id, _carmi, _at in replacements}
        delivered = [
            (key_id(order_sn, position), line, delivered_at)
            for position, line in enumerate(info_lines(row["info"]), start=1)
        ]
        fresh = [
            (replacement_key_id(order_sn, carmi_id), carmi, to_utc(at, zone))
            for _old, carmi_id, carmi, at in replacements
        ]
        keys = tuple(
            CardKey(
                key_id=kid,
                masked=mask_key(line),
                # dujiaoka does not learn whether a sold key was redeemed; a replaced one is void.
                state="invalid" if kid in replaced else "unknown",
                delivered_at=at,
            )
            for kid, line, at in delivered + fresh
        )
    paid_at = paid_time(row, status, zone)
    payments: tuple[Payment, ...] = ()
    if row["pay_id"]:
        pay_status: PaymentStatus = (
            "pending" if status == 1 else "failed" if status == -1 else "paid"
        )
        payments = (
            Payment(
                payment_id=row["trade_no"] or f"{order_sn}-P",
                method=payment_method(row.get("pay_check"), row.get("pay_name")),
                amount=amount,
                status=pay_status,
                trade_no=row["trade_no"] or None,
                created_at=created,
                paid_at=paid_at,
                callback_received=status not in UNPAID,
                gateway=row.get("pay_name") or row.get("pay_check"),
            ),
        )
    return Order(
        order_no=order_sn,
        status=STATUSES[status][0],
        amount=amount,
        refunded_amount=Decimal("0.00"),
        created_at=created,
        paid_at=paid_at,
        contact=row["email"],
        shop_user_id=row["email"],
        items=(
            OrderItem(
                product_id=str(row["goods_id"]),
                product_name=product_name(row),
                quantity=int(row["buy_amount"]),
                unit_price=_money(row["goods_price"]),
                delivery_type="card_key" if automatic else "direct_topup",
            ),
        ),
        payments=payments,
        delivery=Delivery(
            delivery_type="card_key" if automatic else "direct_topup",
            status=DELIVERY_STATUSES[status],
            delivered_at=delivered_at,
            card_keys=keys,
            # Manual goods keep the buyer's own inputs (the account to top up) in info.
            target_account=None if automatic else (row["info"] or None),
            resend_count=resend_count,
        ),
        shop_status=_shop_status(row, status),
    )


def _shop_status(row: dict[str, Any], status: int) -> str:
    """The shop's status label, with the coupon used, since Order has no coupon field."""
    label = STATUSES[status][1]
    if row.get("coupon"):
        label += f" · 优惠码 {row['coupon']}（-{_money(row['coupon_discount_price'])} 元）"
    return label
