"""What the admin screen shows about the configured store connector, and its health check.

The connector is configured in the environment (``YIWEN_*``) or the ``.env``
file, not through the API: a shop's database password or signing secret never
travels through a browser. This view names each setting, shows what may be
shown (URLs with their password masked) and only whether a secret is set.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from yiwen.core.errors import DomainError
from yiwen.core.i18n import translate
from yiwen.core.settings import Settings
from yiwen.store.checkup import PROBE_CONTACT
from yiwen.store.protocol import ALL_CAPABILITIES, StoreUnavailable, capabilities_of
from yiwen.store.tasks import ACTION_LABELS, system_name

log = logging.getLogger("yiwen.store")

MASK = "******"


@dataclass(frozen=True)
class SettingLine:
    env: str
    value: str | None
    secret: bool = False
    is_set: bool = True


@dataclass(frozen=True)
class CapabilityLine:
    name: str
    label: str
    supported: bool


@dataclass(frozen=True)
class ConnectorView:
    kind: str
    system_name: str
    base_url: str
    settings: list[SettingLine]
    capabilities: list[CapabilityLine]
    capabilities_error: str | None = None


@dataclass(frozen=True)
class CheckLine:
    name: str
    ok: bool
    detail: str = ""


@dataclass(frozen=True)
class HealthCheck:
    ok: bool
    latency_ms: float | None
    error: str | None
    checks: list[CheckLine] = field(default_factory=list)


def mask_url(url: str) -> str:
    """The URL or DSN with any password replaced (never shown, even to an admin)."""
    if not url:
        return ""
    if "://" in url and not url.startswith(("http://", "https://")):
        try:
            return make_url(url).render_as_string(hide_password=True)
        except ArgumentError:
            return MASK
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    netloc = f"{parts.username or ''}:{MASK}@{host}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def _plain(env: str, value: object) -> SettingLine:
    text = "" if value is None else str(value)
    return SettingLine(env=env, value=text, is_set=bool(text))


def _secret(env: str, value: str) -> SettingLine:
    return SettingLine(env=env, value=None, secret=True, is_set=bool(value))


def connector_settings(settings: Settings) -> tuple[str, list[SettingLine]]:
    """The base URL and the settings that configure the chosen connector."""
    kind = settings.store_connector
    lines = [_plain("YIWEN_STORE_CONNECTOR", kind)]
    if kind == "demo":
        base = settings.resolved_demo_shop_url()
        lines.append(SettingLine("YIWEN_DEMO_SHOP_URL", mask_url(base)))
    elif kind == "dujiaoka":
        base = mask_url(settings.dujiaoka_url)
        lines += [
            SettingLine("YIWEN_DUJIAOKA_URL", base, is_set=bool(base)),
            SettingLine(
                "YIWEN_DUJIAOKA_WRITE_URL",
                mask_url(settings.dujiaoka_write_url),
                is_set=bool(settings.dujiaoka_write_url),
            ),
            _plain("YIWEN_DUJIAOKA_TIMEZONE", settings.dujiaoka_timezone),
            _plain("YIWEN_DUJIAOKA_TIMEOUT_SECONDS", settings.dujiaoka_timeout_seconds),
            _plain("YIWEN_DUJIAOKA_REPLACE_KEYS", settings.dujiaoka_replace_keys),
        ]
    elif kind == "http":
        base = mask_url(settings.http_store_url)
        lines += [
            SettingLine("YIWEN_HTTP_STORE_URL", base, is_set=bool(base)),
            _plain("YIWEN_HTTP_STORE_KEY_ID", settings.http_store_key_id),
            _secret("YIWEN_HTTP_STORE_SECRET", settings.http_store_secret),
            _plain("YIWEN_HTTP_STORE_TIMEOUT_SECONDS", settings.http_store_timeout_seconds),
            _plain("YIWEN_HTTP_STORE_RETRIES", settings.http_store_retries),
        ]
    else:
        base = ""
    return base, lines


def describe_connector(
    settings: Settings, store: object | None, build_error: str | None
) -> ConnectorView:
    base, lines = connector_settings(settings)
    capabilities: list[CapabilityLine] = []
    error = build_error
    if store is not None:
        try:
            declared = capabilities_of(store)
        except Exception as exc:  # a shop that cannot say what it does is reported, not raised
            declared, error = frozenset(), failure_text(exc)
        capabilities = [
            CapabilityLine(name, ACTION_LABELS[name], name in declared)
            for name in sorted(ALL_CAPABILITIES)
        ]
    return ConnectorView(
        kind=settings.store_connector,
        system_name=system_name(store),
        base_url=base,
        settings=lines,
        capabilities=capabilities,
        capabilities_error=error,
    )


def check_connector(store: object, *, order_no: str | None = None) -> HealthCheck:
    """One real call to the shop (an order search for a contact nobody has), timed.

    Any failure is the answer, not an exception: the screen shows why the shop
    cannot be reached instead of the request failing.
    """
    started = time.perf_counter()
    try:
        store.find_orders(contact=PROBE_CONTACT, limit=1)  # type: ignore[attr-defined]
    except Exception as exc:
        return HealthCheck(ok=False, latency_ms=_since(started), error=failure_text(exc))
    latency = _since(started)
    checks = [CheckLine("连接店铺并查询", True, f"{latency:.0f} ms")]
    permissions = getattr(store, "check_permissions", None)
    if callable(permissions):
        try:
            checks += [CheckLine(name, ok, detail) for name, ok, detail in permissions()]
        except Exception as exc:
            checks.append(CheckLine("检查店铺权限", False, failure_text(exc)))
    if order_no:
        checks.append(_lookup(store, order_no))
    failed = next((c for c in checks if not c.ok), None)
    return HealthCheck(
        ok=failed is None,
        latency_ms=latency,
        error=None if failed is None else f"{failed.name}：{failed.detail}",
        checks=checks,
    )


def _lookup(store: object, order_no: str) -> CheckLine:
    name = f"按订单号查询 {order_no}"
    try:
        order = store.get_order(order_no)  # type: ignore[attr-defined]
    except Exception as exc:
        return CheckLine(name, False, failure_text(exc))
    return CheckLine(
        name, True, f"{order.status}，{len(order.delivery.card_keys)} 张卡密（已打码）"
    )


def failure_text(exc: BaseException) -> str:
    if isinstance(exc, StoreUnavailable):
        return f"店铺不可用：{exc}"
    if isinstance(exc, DomainError):
        return translate(exc.code, "zh-CN", **exc.params)
    log.warning("store connector check failed", exc_info=exc)
    return f"{type(exc).__name__}: {exc}"[:300]


def _since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)
