"""``yiwen connector test``: what an operator needs to know about the configured shop.

Reachability, the connector's own permission checks (read access to the shop's
tables, the write account, the HTTP key), a sample lookup and what the
connector can do: each line says what works and, if not, why.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from yiwen.core.clock import Clock
from yiwen.core.errors import DomainError
from yiwen.core.i18n import translate
from yiwen.core.settings import Settings
from yiwen.store.protocol import ALL_CAPABILITIES, StoreUnavailable, capabilities_of
from yiwen.store.registry import build_store
from yiwen.store.tasks import ACTION_LABELS

PROBE_CONTACT = "yiwen-connector-test@example.invalid"
CAPABILITY_NAMES = ACTION_LABELS


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str = ""


def run_checks(
    settings: Settings, clock: Clock, *, order_no: str | None = None, email: str | None = None
) -> list[Check]:
    try:
        store = build_store(settings, clock)
    except Exception as exc:  # a configuration error of any kind is the answer here
        return [Check(f"配置连接器 {settings.store_connector}", False, str(exc))]
    checks = [Check(f"配置连接器 {settings.store_connector}", True)]
    started = time.perf_counter()
    reachable = _attempt(lambda: store.find_orders(contact=PROBE_CONTACT, limit=1))
    elapsed = (time.perf_counter() - started) * 1000
    checks.append(Check("连接店铺并查询", reachable is None, reachable or f"{elapsed:.0f} ms"))
    permissions = getattr(store, "check_permissions", None)
    if callable(permissions):
        checks += [Check(name, ok, detail) for name, ok, detail in permissions()]
    if order_no:
        checks.append(_sample(lambda: _describe_order(store, order_no), f"按订单号查询 {order_no}"))
    if email:
        checks.append(
            _sample(
                lambda: f"{len(store.find_orders(contact=email))} 个订单", f"按邮箱查询 {email}"
            )
        )
    declared = capabilities_of(store)
    for capability in sorted(ALL_CAPABILITIES):
        label = CAPABILITY_NAMES[capability]
        if capability in declared:
            checks.append(Check(f"支持：{label}", True))
        else:
            checks.append(Check(f"不支持：{label}", True, "将作为店主待办事项转人工"))
    close = getattr(store, "close", None)
    if callable(close):
        close()
    return checks


def _attempt(call: Callable[[], object]) -> str | None:
    try:
        call()
    except StoreUnavailable as exc:
        return f"店铺不可用：{exc}"
    except DomainError as exc:
        return translate(exc.code, **exc.params)
    return None


def _sample(call: Callable[[], str], name: str) -> Check:
    try:
        return Check(name, True, call())
    except StoreUnavailable as exc:
        return Check(name, False, f"店铺不可用：{exc}")
    except DomainError as exc:
        return Check(name, False, translate(exc.code, **exc.params))


def _describe_order(store: object, order_no: str) -> str:
    order = store.get_order(order_no)  # type: ignore[attr-defined]
    keys = len(order.delivery.card_keys)
    name = order.items[0].product_name if order.items else ""
    return f"{order.status}，{name}，{keys} 张卡密（已打码）"
