"""HMAC-SHA256 signatures over ``timestamp + "." + body`` for webhooks and the SMS gateway.

The timestamp is signed with the body so a captured request cannot be replayed
later with a fresh timestamp; receivers refuse old timestamps.
"""

from __future__ import annotations

import hashlib
import hmac


def sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    return hmac.compare_digest(sign(secret, timestamp, body), signature)
