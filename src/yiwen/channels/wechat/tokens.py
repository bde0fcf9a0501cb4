"""Access tokens of Tencent's APIs (WeChat OA ``cgi-bin/token``, WeCom ``cgi-bin/gettoken``).

A token lives two hours and each fetch counts against a daily quota (2,000 for
an Official Account), so it is cached per account until shortly before it
expires, shared by every thread of the process, and thrown away when the API
says it is invalid or expired (errcodes 40001, 40014, 42001) so the next call
fetches a fresh one.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from yiwen.core.clock import Clock

# The API answers these when a token was revoked (another server fetched a new
# one), is malformed, or has expired.
TOKEN_INVALID_ERRCODES = frozenset({40001, 40014, 42001})
# Renew this long before the announced expiry, so a request never races it.
EARLY_RENEWAL = timedelta(minutes=5)


@dataclass(frozen=True)
class CachedToken:
    value: str
    expires_at: datetime


class AccessTokenCache:
    """Tokens by account key; ``fetch`` returns (token, lifetime in seconds)."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._tokens: dict[str, CachedToken] = {}
        self._lock = threading.Lock()

    def get(self, key: str, fetch: Callable[[], tuple[str, int]]) -> str:
        with self._lock:
            cached = self._tokens.get(key)
            if cached is not None and cached.expires_at > self.clock.now():
                return cached.value
            value, lifetime = fetch()
            expires_at = self.clock.now() + timedelta(seconds=lifetime) - EARLY_RENEWAL
            self._tokens[key] = CachedToken(value, expires_at)
            return value

    def forget(self, key: str, value: str) -> None:
        """Drop ``value`` unless another thread has already replaced it."""
        with self._lock:
            cached = self._tokens.get(key)
            if cached is not None and cached.value == value:
                del self._tokens[key]


_shared: weakref.WeakKeyDictionary[Clock, AccessTokenCache] = weakref.WeakKeyDictionary()
_shared_guard = threading.Lock()


def shared_cache(clock: Clock) -> AccessTokenCache:
    """The process's cache for this clock: the webhook routes and the outbox sender share
    tokens, as they must on WeChat, where fetching a new token revokes the old one."""
    with _shared_guard:
        cache = _shared.get(clock)
        if cache is None:
            cache = _shared[clock] = AccessTokenCache(clock)
        return cache
