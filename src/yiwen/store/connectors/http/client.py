"""The StoreConnector over the signed HTTP contract (docs/connector-http.md).

Every call is signed; every action carries its idempotency key in a header, so
every call may be retried: network errors, 429 and 5xx answers are retried with
exponential backoff. A 4xx answer is the shop saying no and becomes the
matching domain error; a timeout, a 5xx after the retries or an answer that does
not fit the contract becomes StoreUnavailable, never a guess.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar
from urllib.parse import quote, urlencode, urlsplit

import httpx

from yiwen.core.errors import Conflict, InvalidInput, NotFound
from yiwen.core.settings import Settings
from yiwen.store.connectors.http import signing
from yiwen.store.connectors.http.wire import WireError, load
from yiwen.store.protocol import (
    ALL_CAPABILITIES,
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

T = TypeVar("T")
RETRIABLE = {429, 500, 502, 503, 504}
# The two order-number formats most 发卡 shops use, unless configured otherwise:
# dujiaoka-style 16 upper-case letters and digits (with a letter, so a phone or card
# number is never taken for one) and yyyyMMddHHmmss plus six digits.
DEFAULT_ORDER_NO_PATTERNS = (
    r"(?=[0-9]*[A-Z])[A-Z0-9]{16}",
    r"20\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?:[01]\d|2[0-3])[0-5]\d[0-5]\d\d{6}",
)
BACKOFF_BASE = 0.2
BACKOFF_MAX = 5.0


class HttpStoreConnector:
    name = "http"

    def __init__(
        self,
        base_url: str,
        *,
        key_id: str,
        secret: str,
        timeout: float = 5.0,
        retries: int = 3,
        order_no_patterns: tuple[str, ...] = DEFAULT_ORDER_NO_PATTERNS,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], float] = time.time,
    ) -> None:
        parts = urlsplit(base_url)
        self.base_path = parts.path.rstrip("/")
        origin = f"{parts.scheme}://{parts.netloc}"
        self.http = httpx.Client(base_url=origin, timeout=timeout, transport=transport)
        self.key_id = key_id
        self.secret = secret
        self.retries = retries
        self.order_no_patterns = order_no_patterns
        self._sleep = sleep
        self._now = now
        self._capabilities: frozenset[str] | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> HttpStoreConnector:
        if not (
            settings.http_store_url and settings.http_store_key_id and settings.http_store_secret
        ):
            raise ValueError("YIWEN_HTTP_STORE_URL, _KEY_ID and _SECRET must all be set")
        return cls(
            settings.http_store_url,
            key_id=settings.http_store_key_id,
            secret=settings.http_store_secret,
            timeout=settings.http_store_timeout_seconds,
            retries=settings.http_store_retries,
            order_no_patterns=tuple(settings.http_store_order_no_patterns)
            or DEFAULT_ORDER_NO_PATTERNS,
        )

    def close(self) -> None:
        self.http.close()

    @property
    def capabilities(self) -> frozenset[str]:
        """What the shop declares at GET /capabilities; everything if it cannot say now."""
        if self._capabilities is None:
            try:
                data = self._call("GET", "/capabilities")
                listed = data.get("capabilities") if isinstance(data, dict) else None
                if not isinstance(listed, list):
                    raise StoreUnavailable("the shop answered /capabilities without a list")
                self._capabilities = frozenset(str(c) for c in listed) & ALL_CAPABILITIES
            except StoreUnavailable:
                return ALL_CAPABILITIES  # the shop refuses what it cannot do anyway
        return self._capabilities

    def check_permissions(self) -> list[tuple[str, bool, str]]:
        """Does the shop accept Yiwen's signed requests (GET /capabilities)?"""
        try:
            data = self._call("GET", "/capabilities")
        except StoreUnavailable as exc:
            return [("签名密钥被店铺接受", False, str(exc))]
        ok = isinstance(data, dict) and isinstance(data.get("capabilities"), list)
        return [("签名密钥被店铺接受", ok, "" if ok else "/capabilities 的回答不符合约定")]

    # Transport

    def _call(
        self,
        method: str,
        path: str,
        *,
        query: dict[str, str] | None = None,
        body: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> Any:
        target = self.base_path + path + (f"?{urlencode(query)}" if query else "")
        payload = b"" if body is None else json.dumps(body, ensure_ascii=False).encode()
        attempt = 0
        while True:
            headers = signing.headers(
                self.key_id, self.secret, method, target, payload, self._now()
            )
            headers["Content-Type"] = "application/json"
            if idempotency_key is not None:
                headers[signing.IDEMPOTENCY_HEADER] = idempotency_key
            try:
                response = self.http.request(
                    method, target, content=payload or None, headers=headers
                )
            except httpx.TimeoutException as exc:
                failure = StoreUnavailable(
                    f"the shop did not answer in time ({type(exc).__name__})"
                )
            except httpx.HTTPError as exc:
                failure = StoreUnavailable(f"the shop could not be reached: {exc}")
            else:
                if response.status_code not in RETRIABLE:
                    return _answer(response)
                failure = StoreUnavailable(
                    f"the shop answered HTTP {response.status_code}",
                    retry_after=_retry_after(response),
                )
            if attempt >= self.retries:
                raise failure
            self._sleep(min(BACKOFF_MAX, BACKOFF_BASE * 2**attempt))
            attempt += 1

    def _get(self, cls: type[T], method: str, path: str, **options: Any) -> T:
        data = self._call(method, path, **options)
        try:
            return load(cls, data)
        except WireError as exc:
            raise StoreUnavailable(f"the shop's answer does not fit the contract: {exc}") from exc

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
        query = {"limit": str(limit)}
        for name, value in (
            ("order_no", order_no),
            ("contact", contact),
            ("shop_user_id", shop_user_id),
        ):
            if value is not None:
                query[name] = value
        if since is not None:
            query["since"] = since.isoformat()
        data = self._call("GET", "/orders", query=query)
        listed = data.get("orders") if isinstance(data, dict) else None
        if not isinstance(listed, list):
            raise StoreUnavailable("the shop's order list has no 'orders' list")
        try:
            return [load(OrderSummary, item, f"$.orders[{i}]") for i, item in enumerate(listed)]
        except WireError as exc:
            raise StoreUnavailable(f"the shop's answer does not fit the contract: {exc}") from exc

    def get_order(self, order_no: str) -> Order:
        return self._get(Order, "GET", f"/orders/{_seg(order_no)}")

    def get_account(self, shop_user_id: str) -> Account:
        return self._get(Account, "GET", f"/accounts/{_seg(shop_user_id)}")

    def check_card_key(self, card_key: str) -> CardKeyCheck:
        return self._get(CardKeyCheck, "POST", "/card-keys/check", body={"card_key": card_key})

    def reveal_card_key(self, order_no: str, key_id: str) -> str:
        data = self._call(
            "POST", f"/orders/{_seg(order_no)}/card-keys/{_seg(key_id)}/reveal", body={}
        )
        secret = data.get("card_key") if isinstance(data, dict) else None
        if not isinstance(secret, str) or not secret:
            raise StoreUnavailable("the shop's reveal answer has no 'card_key' string")
        return secret

    # Actions

    def _act(self, path: str, body: dict[str, Any], idempotency_key: str) -> ActionResult:
        return self._get(ActionResult, "POST", path, body=body, idempotency_key=idempotency_key)

    def resend_delivery(self, order_no: str, *, idempotency_key: str) -> ActionResult:
        return self._act(f"/orders/{_seg(order_no)}/resend-delivery", {}, idempotency_key)

    def repush_upstream(self, order_no: str, *, idempotency_key: str) -> ActionResult:
        return self._act(f"/orders/{_seg(order_no)}/repush", {}, idempotency_key)

    def replace_card_key(
        self, order_no: str, key_id: str, *, reason: str, idempotency_key: str
    ) -> ActionResult:
        path = f"/orders/{_seg(order_no)}/card-keys/{_seg(key_id)}/replace"
        return self._act(path, {"reason": reason}, idempotency_key)

    def refund(
        self, order_no: str, amount: Decimal | None, *, reason: str, idempotency_key: str
    ) -> ActionResult:
        body = {"amount": None if amount is None else str(amount), "reason": reason}
        return self._act(f"/orders/{_seg(order_no)}/refund", body, idempotency_key)

    def issue_coupon(
        self,
        *,
        shop_user_id: str | None,
        contact: str | None,
        amount: Decimal,
        reason: str,
        idempotency_key: str,
    ) -> ActionResult:
        body = {
            "shop_user_id": shop_user_id,
            "contact": contact,
            "amount": str(amount),
            "reason": reason,
        }
        return self._act("/coupons", body, idempotency_key)

    def freeze_account(
        self, shop_user_id: str, *, reason: str, idempotency_key: str
    ) -> ActionResult:
        return self._act(
            f"/accounts/{_seg(shop_user_id)}/freeze", {"reason": reason}, idempotency_key
        )

    def unfreeze_account(
        self, shop_user_id: str, *, reason: str, idempotency_key: str
    ) -> ActionResult:
        return self._act(
            f"/accounts/{_seg(shop_user_id)}/unfreeze", {"reason": reason}, idempotency_key
        )


def _seg(value: str) -> str:
    return quote(value, safe="")


def _retry_after(response: httpx.Response) -> float:
    try:
        return max(1.0, float(response.headers.get("Retry-After", "5")))
    except ValueError:
        return 5.0


def _answer(response: httpx.Response) -> Any:
    """The JSON of a 2xx answer; a 4xx as the domain error the shop named."""
    try:
        data = response.json()
    except ValueError:
        data = None
    if response.is_success:
        if data is None:
            raise StoreUnavailable(f"the shop answered HTTP {response.status_code} without JSON")
        return data
    if response.status_code in (401, 403):
        raise StoreUnavailable(
            f"the shop refused Yiwen's signature (HTTP {response.status_code}); check the key",
            retry_after=60,
        )
    code = data.get("code") if isinstance(data, dict) else None
    params = data.get("params") if isinstance(data, dict) else None
    if not isinstance(code, str) or not code:
        raise StoreUnavailable(
            f"the shop answered HTTP {response.status_code} without an error code"
        )
    params = {str(k): v for k, v in params.items()} if isinstance(params, dict) else {}
    raise _domain_error(response.status_code, code, params)


def _domain_error(status: int, code: str, params: dict[str, Any]) -> Exception:
    if code == "order_not_found":
        return OrderNotFound(str(params.get("order_no", "")))
    if code == "account_not_found":
        return AccountNotFound(str(params.get("shop_user_id", "")))
    if code == "action_needs_shop_owner":
        return ActionNotSupported(
            str(params.get("action", "")), task=str(params.get("task", "")),
            order_no=params.get("order_no"),
        )  # fmt: skip
    if code == "idempotency_key_reused":
        return Conflict(code, **params)
    if status == 404:
        return NotFound(code, **params)
    if status in (400, 422):
        return InvalidInput(code, **params)
    return StoreActionRefused(code, **params)
