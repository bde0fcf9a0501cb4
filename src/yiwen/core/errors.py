"""Domain errors. Services raise these; one place in the HTTP layer maps them to responses."""

from __future__ import annotations

from typing import ClassVar, Literal

ErrorKind = Literal[
    "invalid",
    "unauthenticated",
    "forbidden",
    "not_found",
    "conflict",
    "gone",
    "too_large",
    "rate_limited",
    "unavailable",
]


class DomainError(Exception):
    """An error the caller can act on, carrying a stable code from the message catalogue."""

    kind: ClassVar[ErrorKind] = "invalid"

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


class InvalidInput(DomainError):
    kind = "invalid"


class Unauthenticated(DomainError):
    kind = "unauthenticated"


class ActionNotAllowed(DomainError):
    kind = "forbidden"


class NotFound(DomainError):
    kind = "not_found"


class Conflict(DomainError):
    kind = "conflict"


class Gone(DomainError):
    """The thing existed and was removed on purpose (an archived conversation)."""

    kind = "gone"


class TooLarge(DomainError):
    kind = "too_large"


class RateLimited(DomainError):
    kind = "rate_limited"


class Unavailable(DomainError):
    """The service cannot take this now (shutting down); the client should retry."""

    kind = "unavailable"
