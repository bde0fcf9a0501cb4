"""Request signatures: any change to what was signed, an old timestamp or a replay is refused."""

from __future__ import annotations

import httpx
from hypothesis import given
from hypothesis import strategies as st

from tests.store.http.fixtures import KEY_ID, SECRET, Reference
from yiwen.store.connectors.http import signing

NOW = 1_800_000_000.0


@given(
    method=st.sampled_from(["GET", "POST"]),
    target=st.text(min_size=1, max_size=40),
    body=st.binary(max_size=200),
    flip=st.integers(min_value=0, max_value=3),
)
def test_changing_any_signed_part_breaks_the_signature(
    method: str, target: str, body: bytes, flip: int
) -> None:
    headers = signing.headers(KEY_ID, SECRET, method, target, body, NOW)
    timestamp, nonce = headers[signing.TIMESTAMP_HEADER], headers[signing.NONCE_HEADER]
    signature = headers[signing.SIGNATURE_HEADER]
    ok = signing.verify(SECRET, method, target, timestamp, nonce, body, signature, now=NOW)
    assert ok is None
    parts = [method, target, nonce, body]
    changed = list(parts)
    changed[flip] = parts[flip] + (b"x" if isinstance(parts[flip], bytes) else "x")
    m, t, n, b = changed
    assert signing.verify(SECRET, m, t, timestamp, n, b, signature, now=NOW) is not None


def test_a_request_outside_the_replay_window_is_refused() -> None:
    headers = signing.headers(KEY_ID, SECRET, "GET", "/orders", b"", NOW)
    args = (
        SECRET, "GET", "/orders", headers[signing.TIMESTAMP_HEADER],
        headers[signing.NONCE_HEADER], b"", headers[signing.SIGNATURE_HEADER],
    )  # fmt: skip
    assert signing.verify(*args, now=NOW + 299) is None
    assert signing.verify(*args, now=NOW + 301) == "timestamp outside the replay window"
    assert signing.verify(*args, now=NOW - 301) == "timestamp outside the replay window"


def _signed(method: str, target: str, body: bytes = b"", secret: str = SECRET) -> dict[str, str]:
    import time

    return signing.headers(KEY_ID, secret, method, target, body, time.time())


def test_the_reference_server_refuses_bad_keys_stale_and_replayed_requests(
    http_reference: Reference,
) -> None:
    target = "/capabilities"
    with httpx.Client(base_url=http_reference.url) as client:
        good = _signed("GET", target)
        assert client.get(target, headers=good).status_code == 200
        replay = client.get(target, headers=good)
        assert (replay.status_code, replay.json()["params"]["reason"]) == (401, "replayed request")
        wrong = client.get(target, headers=_signed("GET", target, secret="not-the-secret"))
        assert wrong.status_code == 401 and wrong.json()["code"] == "signature_rejected"
        stale = signing.headers(KEY_ID, SECRET, "GET", target, b"", 1_000_000.0)
        assert client.get(target, headers=stale).status_code == 401
        assert client.get(target).status_code == 401


def test_an_action_without_an_idempotency_key_is_refused_and_changes_nothing(
    http_reference: Reference,
) -> None:
    order_no = http_reference.examples["delivered_ok"].order_no
    before = http_reference.shop.get_order(order_no)
    target = f"/orders/{order_no}/resend-delivery"
    with httpx.Client(base_url=http_reference.url) as client:
        answer = client.post(target, content=b"{}", headers=_signed("POST", target, b"{}"))
    assert (answer.status_code, answer.json()["code"]) == (422, "idempotency_key_required")
    assert http_reference.shop.get_order(order_no) == before
