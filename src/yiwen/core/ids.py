"""Identifiers and secrets that must not be guessable."""

from __future__ import annotations

import hashlib
import secrets
import uuid


def new_id() -> str:
    """Primary keys exposed in URLs are random, never sequential."""
    return uuid.uuid4().hex


def new_token(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def hash_token(token: str) -> str:
    """Tokens are stored only as hashes, so a database leak does not leak sessions."""
    return hashlib.sha256(token.encode()).hexdigest()
