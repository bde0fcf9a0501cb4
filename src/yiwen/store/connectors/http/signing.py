"""HMAC-SHA256 request signatures with a replay window.

The signed text is ``METHOD\\nPATH?QUERY\\nTIMESTAMP\\nNONCE\\nSHA256(BODY)``:
changing the method, the target, the time, the nonce or one byte of the body
breaks the signature; a captured request is refused once the window (300 s) has
passed, and within it the server refuses a nonce it has already seen.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

KEY_ID_HEADER = "X-Yiwen-Key-Id"
TIMESTAMP_HEADER = "X-Yiwen-Timestamp"
SIGNATURE_HEADER = "X-Yiwen-Signature"
NONCE_HEADER = "X-Yiwen-Nonce"
IDEMPOTENCY_HEADER = "Idempotency-Key"
REPLAY_WINDOW_SECONDS = 300


def signing_text(method: str, target: str, timestamp: str, nonce: str, body: bytes) -> bytes:
    digest = hashlib.sha256(body).hexdigest()
    return f"{method.upper()}\n{target}\n{timestamp}\n{nonce}\n{digest}".encode()


def sign(secret: str, method: str, target: str, timestamp: str, nonce: str, body: bytes) -> str:
    text = signing_text(method, target, timestamp, nonce, body)
    return hmac.new(secret.encode(), text, hashlib.sha256).hexdigest()


def headers(
    key_id: str, secret: str, method: str, target: str, body: bytes, now: float
) -> dict[str, str]:
    timestamp = str(int(now))
    nonce = secrets.token_hex(12)
    return {
        KEY_ID_HEADER: key_id,
        TIMESTAMP_HEADER: timestamp,
        NONCE_HEADER: nonce,
        SIGNATURE_HEADER: sign(secret, method, target, timestamp, nonce, body),
    }


def verify(
    secret: str,
    method: str,
    target: str,
    timestamp: str,
    nonce: str,
    body: bytes,
    signature: str,
    *,
    now: float,
    window: int = REPLAY_WINDOW_SECONDS,
) -> str | None:
    """None when the request is genuine and fresh, else why not (a short English reason)."""
    try:
        sent = int(timestamp)
    except ValueError:
        return "bad timestamp"
    if abs(now - sent) > window:
        return "timestamp outside the replay window"
    if not 8 <= len(nonce) <= 64:
        return "bad nonce"
    expected = sign(secret, method, target, timestamp, nonce, body)
    if not hmac.compare_digest(expected, signature.strip().lower()):
        return "bad signature"
    return None
