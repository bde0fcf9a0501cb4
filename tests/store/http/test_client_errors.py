"""The HTTP connector facing a misbehaving shop: clear domain errors, retries, never a crash.

The misbehaving shop is a small loopback server that answers each base path in
one bad way (garbage, errors, slowness); it does not check signatures.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from tests.store.http.fixtures import KEY_ID, Reference
from tests.support.live import free_port, serve
from yiwen.core.errors import InvalidInput
from yiwen.store.connectors.http.client import HttpStoreConnector
from yiwen.store.protocol import ActionNotSupported, OrderNotFound, StoreUnavailable

CALLS: dict[str, int] = {}


def _shop() -> FastAPI:
    app = FastAPI()

    @app.api_route("/{mode}/{rest:path}", methods=["GET", "POST"])
    async def answer(mode: str, rest: str, request: Request) -> Any:
        CALLS[mode] = CALLS.get(mode, 0) + 1
        if mode == "flaky" and CALLS[mode] < 3:
            return JSONResponse({"code": "busy"}, status_code=503, headers={"Retry-After": "7"})
        if mode in ("down", "flaky"):
            if mode == "down":
                return JSONResponse({"code": "busy"}, status_code=500)
            return {"orders": []}
        if mode == "slow":
            await asyncio.sleep(3)
            return {"orders": []}
        if mode == "html":
            return Response("<html>维护中</html>", media_type="text/html")
        if mode == "garbage":
            return {"order_no": "X", "status": "banana", "amount": 12.5}
        if mode == "listless":
            return {"orders": "none"}
        if mode == "nocode":
            return JSONResponse({"error": "no"}, status_code=409)
        if mode == "notfound":
            return JSONResponse(
                {"code": "order_not_found", "params": {"order_no": "AB"}}, status_code=404
            )
        if mode == "owner":
            return JSONResponse(
                {
                    "code": "action_needs_shop_owner",
                    "params": {"action": "refund", "task": "去后台退款"},
                },
                status_code=409,
            )
        if mode == "invalid":
            return JSONResponse({"code": "invalid_amount", "params": {}}, status_code=422)
        return JSONResponse({"code": "unknown_mode"}, status_code=404)

    return app


@pytest.fixture(scope="module")
def bad_shop() -> Iterator[str]:
    with serve(_shop()) as url:
        yield url


def _client(
    base: str, *, timeout: float = 5.0, retries: int = 2
) -> tuple[HttpStoreConnector, list[float]]:
    waits: list[float] = []
    connector = HttpStoreConnector(
        base, key_id=KEY_ID, secret="s", timeout=timeout, retries=retries, sleep=waits.append
    )
    return connector, waits


def test_retries_with_exponential_backoff_then_succeeds(bad_shop: str) -> None:
    CALLS.clear()
    connector, waits = _client(f"{bad_shop}/flaky")
    assert connector.find_orders(contact="a@qq.com") == []
    assert (CALLS["flaky"], waits) == (3, [0.2, 0.4])


def test_a_shop_that_keeps_failing_is_unavailable_after_the_retries(bad_shop: str) -> None:
    CALLS.clear()
    connector, waits = _client(f"{bad_shop}/down", retries=3)
    with pytest.raises(StoreUnavailable) as caught:
        connector.get_order("AB12345678")
    assert "HTTP 500" in str(caught.value) and CALLS["down"] == 4 and len(waits) == 3


def test_a_slow_shop_times_out(bad_shop: str) -> None:
    connector, _ = _client(f"{bad_shop}/slow", timeout=0.5, retries=0)
    with pytest.raises(StoreUnavailable) as caught:
        connector.find_orders(contact="a@qq.com")
    assert "did not answer in time" in str(caught.value)


@pytest.mark.parametrize(
    ("mode", "words"),
    [
        ("html", "without JSON"),
        ("garbage", "does not fit the contract"),
        ("listless", "no 'orders' list"),
        ("nocode", "without an error code"),
    ],
)
def test_garbage_answers_are_a_clear_unavailable(bad_shop: str, mode: str, words: str) -> None:
    connector, _ = _client(f"{bad_shop}/{mode}")
    with pytest.raises(StoreUnavailable) as caught:
        if mode == "listless":
            connector.find_orders(contact="a@qq.com")
        else:
            connector.get_order("AB12345678")
    assert words in str(caught.value)


def test_the_shops_refusals_become_domain_errors(bad_shop: str) -> None:
    with pytest.raises(OrderNotFound):
        _client(f"{bad_shop}/notfound")[0].get_order("AB")
    with pytest.raises(ActionNotSupported) as caught:
        _client(f"{bad_shop}/owner")[0].refund("AB", None, reason="x", idempotency_key="k")
    assert caught.value.task == "去后台退款"
    with pytest.raises(InvalidInput):
        _client(f"{bad_shop}/invalid")[0].refund(
            "AB", Decimal("0"), reason="x", idempotency_key="k"
        )


def test_nobody_listening_is_unavailable() -> None:
    connector, waits = _client(f"http://127.0.0.1:{free_port()}/api", retries=1)
    with pytest.raises(StoreUnavailable) as caught:
        connector.find_orders(contact="a@qq.com")
    assert "could not be reached" in str(caught.value) and len(waits) == 1


def test_a_wrong_secret_is_reported_as_a_key_problem(http_reference: Reference) -> None:
    connector = HttpStoreConnector(http_reference.url, key_id=KEY_ID, secret="wrong", retries=0)
    with pytest.raises(StoreUnavailable) as caught:
        connector.get_order(http_reference.examples["delivered_ok"].order_no)
    assert "signature" in str(caught.value)
    assert connector.check_permissions()[0][1] is False
