"""A small in-process rate limiter for endpoints that could be used to guess secrets.

Per-process memory is enough to slow guessing from one address; a shared
limiter (Redis) arrives with several processes (issue 9).
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable

from fastapi import Request

from yiwen.core.errors import RateLimited


class SlidingWindowLimiter:
    def __init__(self, limit: int, window_seconds: float) -> None:
        self.limit = limit
        self.window = window_seconds
        self._hits: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def check(self, key: str) -> None:
        now = time.monotonic()
        with self._lock:
            hits = self._hits[key]
            while hits and now - hits[0] > self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                raise RateLimited("rate_limited")
            hits.append(now)


def limit_by_client(limit: int, window_seconds: float) -> Callable[[Request], None]:
    """A dependency that refuses a client address past ``limit`` calls per window."""
    limiter = SlidingWindowLimiter(limit, window_seconds)

    def _check(request: Request) -> None:
        client = request.client.host if request.client else "unknown"
        limiter.check(f"{request.url.path}:{client}")

    return _check
