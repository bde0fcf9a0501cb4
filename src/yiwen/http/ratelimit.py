"""A rate limiter for endpoints that could be used to guess secrets.

One process keeps the windows in memory. Several processes (``redis_url`` set)
share them in Redis, so that running N processes does not give a guesser N
times the tries; if Redis cannot be reached the process falls back to its own
memory, which still limits, rather than failing the request.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Callable
from functools import cache
from typing import Any

from fastapi import Request

from yiwen.core.errors import RateLimited

log = logging.getLogger("yiwen.ratelimit")


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


@cache
def _redis_client(url: str) -> Any:
    import redis

    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)


class RedisWindowLimiter:
    """The same sliding window, as a sorted set of hit times per key in Redis."""

    PREFIX = "yiwen:rl:"

    def __init__(self, url: str, limit: int, window_seconds: float) -> None:
        self.url = url
        self.limit = limit
        self.window = window_seconds

    def check(self, key: str) -> None:
        client = _redis_client(self.url)
        name = f"{self.PREFIX}{self.limit}:{self.window:g}:{key}"
        now = time.time()
        member = f"{now:.6f}:{uuid.uuid4().hex[:8]}"
        pipe = client.pipeline(transaction=True)
        pipe.zremrangebyscore(name, 0, now - self.window)
        pipe.zadd(name, {member: now})
        pipe.zcard(name)
        pipe.expire(name, int(self.window) + 1)
        _, _, count, _ = pipe.execute()
        if count > self.limit:
            client.zrem(name, member)
            raise RateLimited("rate_limited")


def limit_by_client(limit: int, window_seconds: float) -> Callable[[Request], None]:
    """A dependency that refuses a client address past ``limit`` calls per window."""
    local = SlidingWindowLimiter(limit, window_seconds)

    def _check(request: Request) -> None:
        client = request.client.host if request.client else "unknown"
        key = f"{request.url.path}:{client}"
        settings = getattr(request.app.state, "settings", None)
        url = getattr(settings, "redis_url", "") if settings is not None else ""
        if url:
            import redis

            try:
                RedisWindowLimiter(url, limit, window_seconds).check(key)
                return
            except redis.RedisError as error:
                log.warning("shared rate limit unavailable (%s); limiting in this process", error)
        local.check(key)

    return _check
