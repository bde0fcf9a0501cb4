"""Card-key text: how keys are made, matched when a customer pastes one, and masked."""

from __future__ import annotations

import random
import re

# No 0/O or 1/I: real card keys avoid characters customers misread.
KEY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
DEFAULT_PATTERN = "XXXX-XXXX-XXXX-XXXX"
_SEPARATORS = re.compile(r"[\s\-_]+")


def make_secret(rng: random.Random, pattern: str | None) -> str:
    """A key in the product's pattern, every ``X`` replaced by a random character."""
    return "".join(
        rng.choice(KEY_ALPHABET) if char == "X" else char for char in pattern or DEFAULT_PATTERN
    )


def normalise_key(text: str) -> str:
    """Customers paste keys with spaces, without dashes or in lower case; all mean the same key."""
    return _SEPARATORS.sub("", text).upper()


def mask_key(secret: str) -> str:
    """First four and last four characters, enough to tell keys apart but not to redeem one."""
    if len(secret) <= 8:
        return "****"
    return f"{secret[:4]}****{secret[-4:]}"
