"""The StoreConnector over a dujiaoka database.

Lookups need only a read-only account. dujiaoka cannot refund through its
payment gateway, re-push or freeze from outside (it has no API, no upstream and
no user accounts), so those raise :class:`ActionNotSupported` with the task for
the shop owner, never a pretend success. Resending delivered card info is done
by Yiwen (the result names the keys; the caller reveals and sends them). A
coupon, and a replacement for a dead key (an unsold carmi marked sold, see
``replacements``), are written only when a separate write account is
configured, the replacement only when also switched on.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from yiwen.core.clock import Clock
from yiwen.core.errors import InvalidInput, NotFound
from yiwen.core.settings import Settings
from yiwen.store.connectors.dujiaoka import reader, replacements, writes
from yiwen.store.connectors.dujiaoka.ledger import MAX_KEY_LENGTH, Ledger, count_resend
from yiwen.store.connectors.dujiaoka.mapping import (
    TYPE_AUTOMATIC,
    UNPAID,
    info_lines,
    key_id,
    order_from_row,
    product_name,
    replacement_key_id,
    summary_from_row,
    to_shop_time,
)
from yiwen.store.protocol import (
    Account,
    AccountNotFound,
    ActionNotSupported,
    ActionResult,
    CardKeyCheck,
    Order,
    OrderNotFound,
    OrderSummary,
    StoreActionRefused,
    StoreUnavailable,
)

# dujiaoka's order_sn: 16 upper-case letters and digits; at least one letter, so a
# bare 16-digit number (a card or trade number) is never taken for one.
ORDER_NO_PATTERN = r"(?=[0-9]*[A-Z])[A-Z0-9]{16}"
MIN_KEY_SEARCH = 6
NO_ACCOUNTS = (
    "独角数卡没有用户账号，无法冻结或查询；如需拉黑，请在服务器防火墙或支付渠道后台处理该买家"
)


class DujiaokaConnector:
    name = "dujiaoka"
    system_name = "独角数卡后台"
    order_no_patterns: tuple[str, ...] = (ORDER_NO_PATTERN,)

    def __init__(
        self,
        url: str,
        *,
        clock: Clock,
        ledger_path: Path,
        write_url: str = "",
        timezone: str = "Asia/Shanghai",
        timeout: float = 5.0,
        replace_keys: bool = False,
    ) -> None:
        self.clock = clock
        self.zone = ZoneInfo(timezone)
        self.engine = reader.make_engine(url, timeout)
        self.write_engine = reader.make_engine(write_url, timeout) if write_url else None
        self.ledger = Ledger(ledger_path)
        self.replaces_keys = replace_keys and self.write_engine is not None

    @classmethod
    def from_settings(cls, settings: Settings, clock: Clock) -> DujiaokaConnector:
        if not settings.dujiaoka_url:
            raise ValueError("YIWEN_DUJIAOKA_URL is not set (the shop database's read-only DSN)")
        return cls(
            settings.dujiaoka_url,
            clock=clock,
            ledger_path=settings.data_dir / "dujiaoka_ledger.db",
            write_url=settings.dujiaoka_write_url,
            timezone=settings.dujiaoka_timezone,
            timeout=settings.dujiaoka_timeout_seconds,
            replace_keys=settings.dujiaoka_replace_keys,
        )

    @property
    def capabilities(self) -> frozenset[str]:
        declared = {"resend_delivery"}
        if self.write_engine is not None:
            declared.add("issue_coupon")
        if self.replaces_keys:
            declared.add("replace_card_key")
        return frozenset(declared)

    def close(self) -> None:
        self.engine.dispose()
        if self.write_engine is not None:
            self.write_engine.dispose()

    def check_permissions(self) -> list[tuple[str, bool, str]]:
        """Can the read account read every table used, and the write account reach coupons?"""
        results = []
        for table in reader.TABLES:
            results.append(self._probe(self.engine, f"读取表 {table}", table))
        if self.write_engine is not None:
            results.append(self._probe(self.write_engine, "写入账号连接（优惠码）", "coupons"))
            if self.replaces_keys:
                results.append(self._probe(self.engine, "读取换卡记录表", replacements.TABLE))
                results.append(
                    self._probe(self.write_engine, "写入账号读取换卡记录表", replacements.TABLE)
                )
        else:
            results.append(("写入账号", True, "未配置：一问不会写入店铺数据库"))
        return results

    def _probe(self, engine: Any, name: str, table: str) -> tuple[str, bool, str]:
        try:
            with reader.guarded(engine, f"read {table}") as connection:
                reader.rows(connection, f"SELECT 1 FROM {table} LIMIT 1")
        except StoreUnavailable as exc:
            return (name, False, str(exc))
        return (name, True, "")

    # Lookups

    def find_orders(
        self,
        *,
        order_no: str | None = None,
        contact: str | None = None,
        shop_user_id: str | None = None,
        since: datetime | None = None,
        limit: int = 50,
    ) -> list[OrderSummary]:
        """dujiaoka knows buyers only by email, so contact and shop user id both mean it."""
        emails = {
            value.strip().lower() for value in (contact, shop_user_id) if value and value.strip()
        }
        if not emails and not (order_no and order_no.strip()):
            raise InvalidInput("order_query_empty")
        if len(emails) > 1:
            return []
        return self._summaries(
            order_no=order_no.strip() if order_no and order_no.strip() else None,
            email=next(iter(emails), None),
            search_pwd=None,
            since=since,
            limit=limit,
        )

    def find_orders_by_search_password(
        self, email: str, search_pwd: str, *, limit: int = 50
    ) -> list[OrderSummary]:
        """dujiaoka's own order query: the buyer's email plus the order's query password."""
        if not email.strip() or not search_pwd:
            raise InvalidInput("order_query_empty")
        return self._summaries(
            order_no=None, email=email.strip().lower(), search_pwd=search_pwd, since=None,
            limit=limit,
        )  # fmt: skip

    def _summaries(self, **criteria: Any) -> list[OrderSummary]:
        since = criteria.pop("since")
        with reader.guarded(self.engine, "order search") as connection:
            found = reader.find_summaries(
                connection,
                since=None if since is None else to_shop_time(since, self.zone),
                **criteria,
            )
        return [summary_from_row(row, self.zone) for row in found]

    def _order_row(self, order_no: str) -> dict[str, Any]:
        with reader.guarded(self.engine, "order lookup") as connection:
            row = reader.order_row(connection, order_no.strip())
        if row is None:
            raise OrderNotFound(order_no)
        return row

    def _order_and_replacements(
        self, order_no: str
    ) -> tuple[dict[str, Any], list[replacements.Replacement]]:
        with reader.guarded(self.engine, "order lookup") as connection:
            row = reader.order_row(connection, order_no.strip())
            if row is None:
                raise OrderNotFound(order_no)
            found = (
                replacements.replacements_of(connection, row["order_sn"])
                if self.replaces_keys
                else []
            )
        return row, found

    def get_order(self, order_no: str) -> Order:
        row, found = self._order_and_replacements(order_no)
        return order_from_row(
            row,
            self.zone,
            resend_count=self.ledger.resend_count(row["order_sn"]),
            replacements=tuple(
                (r.replaced_key_id, r.carmi_id, r.carmi, r.created_at) for r in found
            ),
        )

    def reveal_card_key(self, order_no: str, key_id: str) -> str:
        row, found = self._order_and_replacements(order_no)
        for kid, line in _current_keys(row, found, include_replaced=True):
            if key_id == kid:
                return line
        raise NotFound("card_key_not_found", order_no=order_no)

    def check_card_key(self, card_key: str) -> CardKeyCheck:
        """Finds the key among the carmis and delivered orders; redemption is never known."""
        text = card_key.strip()
        if len(text) < MIN_KEY_SEARCH:
            return CardKeyCheck(state="unknown", order_no=None, product_name=None)
        with reader.guarded(self.engine, "card key lookup") as connection:
            carmis = reader.carmi_rows(connection, text)
            unsold = [c for c in carmis if int(c["status"]) == 1 and not int(c["is_loop"])]
            if carmis and len(unsold) == len(carmis):
                return CardKeyCheck(
                    state="unused", order_no=None, product_name=unsold[0]["gd_name"]
                )
            goods_id = int(carmis[0]["goods_id"]) if carmis else None
            orders = reader.orders_delivering(connection, text, goods_id)
        for row in orders:
            if text in info_lines(row["info"]):
                return CardKeyCheck(
                    state="unknown",
                    order_no=row["order_sn"],
                    product_name=product_name(row),
                    used_at=None,
                )
        return CardKeyCheck(state="unknown", order_no=None, product_name=None)

    def get_account(self, shop_user_id: str) -> Account:
        raise ActionNotSupported("get_account", task=NO_ACCOUNTS)

    # Actions

    def resend_delivery(self, order_no: str, *, idempotency_key: str) -> ActionResult:
        def run(ledger: sqlite3.Connection) -> ActionResult:
            row, found = self._order_and_replacements(order_no)
            keys = _current_keys(row, found, include_replaced=False)
            if not keys:
                raise StoreActionRefused("nothing_to_resend", order_no=order_no)
            count = count_resend(ledger, row["order_sn"])
            return ActionResult(
                action="resend_delivery",
                order_no=row["order_sn"],
                reference=f"{row['order_sn']}-R{count}",
                status="done",
                detail={
                    "key_ids": ",".join(kid for kid, _line in keys),
                    "key_count": str(len(keys)),
                    "resend_count": str(count),
                    "sent_by": "yiwen",
                },
            )

        return self.ledger.perform("resend_delivery", idempotency_key, {"order_no": order_no}, run)

    def replace_card_key(
        self, order_no: str, key_id: str, *, reason: str, idempotency_key: str
    ) -> ActionResult:
        """An unsold carmi of the same goods, marked sold for this order in one transaction."""
        if not 0 < len(idempotency_key) <= MAX_KEY_LENGTH:
            raise InvalidInput("invalid_idempotency_key")
        if not reason.strip():
            raise InvalidInput("action_reason_required")
        row, found = self._order_and_replacements(order_no)
        if self.write_engine is None or not self.replaces_keys:
            raise ActionNotSupported(
                "replace_card_key",
                order_no=row["order_sn"],
                task=(
                    f"请在独角数卡后台「卡密管理」中为商品「{product_name(row)}」取一张未售出的卡密，"
                    f"发到买家邮箱 {row['email']}（订单 {row['order_sn']}），并把它改为已售出"
                ),
            )
        if key_id not in {kid for kid, _line in _current_keys(row, found, include_replaced=True)}:
            raise NotFound("card_key_not_found", order_no=order_no)
        taken = replacements.take_replacement(
            self.write_engine,
            idempotency_key=idempotency_key,
            order_sn=row["order_sn"],
            goods_id=int(row["goods_id"]),
            goods_name=product_name(row),
            replaced_key_id=key_id,
            reason=reason.strip(),
            now=to_shop_time(self.clock.now(), self.zone),
        )
        fresh = replacement_key_id(row["order_sn"], taken.replacement.carmi_id)
        return ActionResult(
            action="replace_card_key",
            order_no=row["order_sn"],
            reference=fresh,
            status="done",
            detail={"key_id": fresh, "replaced_key_id": key_id, "sent_by": "yiwen"},
            replayed=taken.replayed,
        )

    def repush_upstream(self, order_no: str, *, idempotency_key: str) -> ActionResult:
        row = self._order_row(order_no)
        raise ActionNotSupported(
            "repush_upstream",
            order_no=row["order_sn"],
            task=(
                f"独角数卡没有上游推送。请在后台「订单管理」中查看订单 {row['order_sn']}，"
                "人工处理后把订单状态改为「已完成」"
            ),
        )

    def refund(
        self, order_no: str, amount: Decimal | None, *, reason: str, idempotency_key: str
    ) -> ActionResult:
        amount = None if amount is None else _check_amount(amount)
        row = self._order_row(order_no)
        if int(row["status"]) in UNPAID:
            raise StoreActionRefused("order_not_paid", order_no=row["order_sn"])
        shown = f"{amount} 元" if amount is not None else f"全额 {row['actual_price']} 元"
        raise ActionNotSupported(
            "refund",
            order_no=row["order_sn"],
            task=(
                "独角数卡不能从外部退款。"
                f"请登录支付渠道「{row['pay_name'] or '未知渠道'}」的商户后台，"
                f"按交易号 {row['trade_no'] or '（无）'} 为订单 {row['order_sn']} 退款 {shown}"
                f"（原因：{reason}）"
            ),
        )

    def issue_coupon(
        self,
        *,
        shop_user_id: str | None,
        contact: str | None,
        amount: Decimal,
        reason: str,
        idempotency_key: str,
    ) -> ActionResult:
        amount = _check_amount(amount)
        recipient = (shop_user_id or contact or "").strip().lower()
        if not recipient:
            raise InvalidInput("coupon_needs_recipient")
        if self.write_engine is None:
            raise ActionNotSupported(
                "issue_coupon",
                task=f"请在独角数卡后台「优惠码」中新建一张 {amount} 元的优惠码，发给 {recipient}",
            )
        write_engine = self.write_engine
        with reader.guarded(self.engine, "buyer lookup") as connection:
            if not reader.email_has_orders(connection, recipient):
                raise AccountNotFound(recipient)

        def run(_ledger: sqlite3.Connection) -> ActionResult:
            code = writes.coupon_code(self.ledger.salt, idempotency_key)
            writes.create_coupon(
                write_engine,
                code=code,
                amount=amount,
                now=to_shop_time(self.clock.now(), self.zone),
            )
            return ActionResult(
                action="issue_coupon",
                order_no=None,
                reference=code,
                status="done",
                amount=amount,
                detail={"coupon_code": code, "recipient": recipient},
            )

        request = {"recipient": recipient, "amount": str(amount)}
        return self.ledger.perform("issue_coupon", idempotency_key, request, run)

    def freeze_account(
        self, shop_user_id: str, *, reason: str, idempotency_key: str
    ) -> ActionResult:
        raise ActionNotSupported("freeze_account", task=NO_ACCOUNTS)

    def unfreeze_account(
        self, shop_user_id: str, *, reason: str, idempotency_key: str
    ) -> ActionResult:
        raise ActionNotSupported("unfreeze_account", task=NO_ACCOUNTS)


def _current_keys(
    row: dict[str, Any], found: list[replacements.Replacement], *, include_replaced: bool
) -> list[tuple[str, str]]:
    """(key id, key) of the order's delivered keys and replacements; replaced ones if asked."""
    if int(row["type"]) != TYPE_AUTOMATIC or int(row["status"]) != 4:
        return []
    sn = row["order_sn"]
    keys = [(key_id(sn, n), line) for n, line in enumerate(info_lines(row["info"]), start=1)]
    keys += [(replacement_key_id(sn, r.carmi_id), r.carmi) for r in found]
    if include_replaced:
        return keys
    replaced = {r.replaced_key_id for r in found}
    return [(kid, line) for kid, line in keys if kid not in replaced]


def _check_amount(amount: Decimal) -> Decimal:
    try:
        valid = amount.is_finite() and amount > 0 and amount == amount.quantize(Decimal("0.01"))
    except InvalidOperation:
        valid = False
    if not valid:
        raise InvalidInput("invalid_amount")
    return amount.quantize(Decimal("0.01"))
