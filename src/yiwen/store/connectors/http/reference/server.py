"""A reference shop server for the HTTP contract, storing its data in SQLite.

It serves any StoreConnector (here the embedded demo shop, whose data is a
SQLite file) over the contract of docs/connector-http.md: it checks every
request's signature and replay window, refuses a signature seen before, needs
an Idempotency-Key on every action and answers refusals as 4xx {code, message,
params}. Shop developers can read it as a worked example of the contract.

Run it: ``python -m yiwen.store.connectors.http.reference --db shop.db --key-id k1
--secret S`` (serves on 127.0.0.1:8765).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from yiwen.core.errors import DomainError, InvalidInput
from yiwen.core.i18n import translate
from yiwen.store.connectors.http import messages, signing
from yiwen.store.connectors.http.wire import dump
from yiwen.store.protocol import (
    ActionNotSupported,
    StoreConnector,
    StoreUnavailable,
    capabilities_of,
)
from yiwen.store.tasks import owner_task

__all__ = ["create_app", "messages"]

# POST routes that only read (their body carries a key); every other POST is an action.
LOOKUPS_BY_POST = ("/reveal", "/card-keys/check")
STATUS_BY_KIND = {"invalid": 422, "not_found": 404, "conflict": 409, "forbidden": 403}


class _SeenNonces:
    """Nonces accepted within the replay window: the same request twice is a replay."""

    def __init__(self, window: int) -> None:
        self.window = window
        self.seen: dict[str, float] = {}
        self.lock = threading.Lock()

    def first_time(self, nonce: str, now: float) -> bool:
        with self.lock:
            for old in [n for n, at in self.seen.items() if now - at > 2 * self.window]:
                del self.seen[old]
            if nonce in self.seen:
                return False
            self.seen[nonce] = now
            return True


def create_app(
    shop: StoreConnector,
    keys: dict[str, str],
    *,
    now: Callable[[], float] = time.time,
    window: int = signing.REPLAY_WINDOW_SECONDS,
    capabilities: frozenset[str] | None = None,
) -> FastAPI:
    """``capabilities`` narrows what the shop declares (a shop without refunds, say);
    an undeclared action is answered 409 ``action_needs_shop_owner`` with the task."""
    app = FastAPI(title="Yiwen HTTP connector reference shop")
    seen = _SeenNonces(window)
    declared = (
        capabilities_of(shop) if capabilities is None else capabilities_of(shop) & capabilities
    )

    def allow(action: str, order_no: str | None = None, **task: Any) -> None:
        if action not in declared:
            order = shop.get_order(order_no) if order_no else None
            raise ActionNotSupported(
                action,
                order_no=order.order_no if order else None,
                task=owner_task(shop, action, order=order, **task),
            )

    @app.middleware("http")
    async def authenticate(request: Request, call_next: Any) -> Any:
        body = await request.body()
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        secret = keys.get(request.headers.get(signing.KEY_ID_HEADER, ""))
        reason = "unknown key id" if secret is None else signing.verify(
            secret, request.method, target,
            request.headers.get(signing.TIMESTAMP_HEADER, ""),
            request.headers.get(signing.NONCE_HEADER, ""), body,
            request.headers.get(signing.SIGNATURE_HEADER, ""), now=now(), window=window,
        )  # fmt: skip
        nonce = request.headers.get(signing.NONCE_HEADER, "")
        if reason is None and not seen.first_time(nonce, now()):
            reason = "replayed request"
        if reason is not None:
            return _error(401, "signature_rejected", {"reason": reason})
        if request.method == "POST" and not request.url.path.endswith(LOOKUPS_BY_POST):
            key = request.headers.get(signing.IDEMPOTENCY_HEADER, "")
            if not key:
                return _error(422, "idempotency_key_required", {})
        return await call_next(request)

    @app.exception_handler(DomainError)
    async def _refused(_request: Request, exc: DomainError) -> JSONResponse:
        return _error(STATUS_BY_KIND.get(exc.kind, 409), exc.code, exc.params)

    @app.exception_handler(StoreUnavailable)
    async def _down(_request: Request, exc: StoreUnavailable) -> JSONResponse:
        response = _error(503, "shop_unavailable", {"reason": str(exc)})
        response.headers["Retry-After"] = str(max(1, int(exc.retry_after)))
        return response

    @app.get("/capabilities")
    def list_capabilities() -> dict[str, Any]:
        return {"capabilities": sorted(declared)}

    @app.get("/orders")
    def find_orders(
        order_no: str | None = None,
        contact: str | None = None,
        shop_user_id: str | None = None,
        since: str | None = None,
        limit: int = 50,
    ) -> dict[str, Any]:
        when = None
        if since is not None:
            try:
                when = datetime.fromisoformat(since)
            except ValueError:
                raise InvalidInput("invalid_since") from None
        found = shop.find_orders(
            order_no=order_no, contact=contact, shop_user_id=shop_user_id, since=when, limit=limit
        )
        return {"orders": dump(found)}

    @app.get("/orders/{order_no}")
    def get_order(order_no: str) -> Any:
        return dump(shop.get_order(order_no))

    @app.get("/accounts/{shop_user_id}")
    def get_account(shop_user_id: str) -> Any:
        allow("accounts", shop_user_id=shop_user_id)
        return dump(shop.get_account(shop_user_id))

    @app.post("/card-keys/check")
    async def check_card_key(request: Request) -> Any:
        body = await _body(request)
        return dump(shop.check_card_key(_text(body, "card_key")))

    @app.post("/orders/{order_no}/card-keys/{key_id}/reveal")
    def reveal(order_no: str, key_id: str) -> Any:
        return {"card_key": shop.reveal_card_key(order_no, key_id)}

    @app.post("/orders/{order_no}/resend-delivery")
    def resend(order_no: str, request: Request) -> Any:
        allow("resend_delivery", order_no)
        return dump(shop.resend_delivery(order_no, idempotency_key=_key(request)))

    @app.post("/orders/{order_no}/repush")
    def repush(order_no: str, request: Request) -> Any:
        allow("repush_upstream", order_no)
        return dump(shop.repush_upstream(order_no, idempotency_key=_key(request)))

    @app.post("/orders/{order_no}/card-keys/{key_id}/replace")
    async def replace_key(order_no: str, key_id: str, request: Request) -> Any:
        body = await _body(request)
        allow("replace_card_key", order_no)
        result = shop.replace_card_key(
            order_no, key_id, reason=_text(body, "reason"), idempotency_key=_key(request)
        )
        return dump(result)

    @app.post("/orders/{order_no}/refund")
    async def refund(order_no: str, request: Request) -> Any:
        body = await _body(request)
        raw = body.get("amount")
        amount = None if raw is None else _amount(raw)
        reason = _text(body, "reason")
        allow("refund", order_no, amount=amount, reason=reason)
        return dump(shop.refund(order_no, amount, reason=reason, idempotency_key=_key(request)))

    @app.post("/coupons")
    async def coupon(request: Request) -> Any:
        body = await _body(request)
        allow(
            "issue_coupon",
            amount=_amount(body.get("amount")),
            shop_user_id=body.get("shop_user_id") or body.get("contact"),
        )
        result = shop.issue_coupon(
            shop_user_id=body.get("shop_user_id") or None,
            contact=body.get("contact") or None,
            amount=_amount(body.get("amount")),
            reason=_text(body, "reason"),
            idempotency_key=_key(request),
        )
        return dump(result)

    @app.post("/accounts/{shop_user_id}/freeze")
    async def freeze(shop_user_id: str, request: Request) -> Any:
        body = await _body(request)
        allow("freeze_account", shop_user_id=shop_user_id)
        return dump(
            shop.freeze_account(
                shop_user_id, reason=_text(body, "reason"), idempotency_key=_key(request)
            )
        )

    @app.post("/accounts/{shop_user_id}/unfreeze")
    async def unfreeze(shop_user_id: str, request: Request) -> Any:
        body = await _body(request)
        allow("unfreeze_account", shop_user_id=shop_user_id)
        return dump(
            shop.unfreeze_account(
                shop_user_id, reason=_text(body, "reason"), idempotency_key=_key(request)
            )
        )

    return app


def _error(status: int, code: str, params: dict[str, Any]) -> JSONResponse:
    shown = {k: str(v) if isinstance(v, Decimal) else v for k, v in params.items()}
    message = translate(code, **shown) if code else ""
    return JSONResponse({"code": code, "message": message, "params": shown}, status_code=status)


def _key(request: Request) -> str:
    return request.headers.get(signing.IDEMPOTENCY_HEADER, "")


async def _body(request: Request) -> dict[str, Any]:
    try:
        data = json.loads(await request.body() or b"{}")
    except ValueError:
        raise InvalidInput("invalid_json") from None
    if not isinstance(data, dict):
        raise InvalidInput("invalid_json")
    return data


def _text(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str):
        raise InvalidInput("invalid_field", field=name)
    return value


def _amount(raw: Any) -> Decimal:
    if not isinstance(raw, str):
        raise InvalidInput("invalid_amount")
    try:
        return Decimal(raw)
    except InvalidOperation:
        raise InvalidInput("invalid_amount") from None
