"""Password hashing (argon2id) and the rules a new password must meet."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from yiwen.auth import messages as _messages  # noqa: F401  (registers the error texts)
from yiwen.core.errors import InvalidInput

PASSWORD_MIN_LENGTH = 8
# Long enough for any passphrase, short enough that hashing cannot be used to burn CPU.
PASSWORD_MAX_LENGTH = 128

# argon2id with the library's default (RFC 9106) parameters. A module attribute so
# that the test suite can swap in cheap parameters (production hashes stay strong).
hasher = PasswordHasher()


def check_password_rules(password: str) -> None:
    if len(password) < PASSWORD_MIN_LENGTH:
        raise InvalidInput("password_too_short", min_length=PASSWORD_MIN_LENGTH)
    if len(password) > PASSWORD_MAX_LENGTH:
        raise InvalidInput("password_too_long", max_length=PASSWORD_MAX_LENGTH)


def hash_password(password: str) -> str:
    return hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with other argon2 parameters than today's."""
    return hasher.check_needs_rehash(password_hash)


def spend_verification_time(password: str) -> None:
    """Verify against a throwaway hash, so an unknown username answers as slowly as a known one."""
    verify_password(_throwaway_hash(), password)


@cache
def _throwaway_hash() -> str:
    return hasher.hash("yiwen-no-such-user")
