"""Waking the message pipelines of `yiwen worker` processes through Redis.

With separate workers (``worker_embedded = false``) the app processes only take
messages in; the workers run their reactions (yiwen.conversations.pipeline).
After each stored batch an app process publishes one wake-up; every worker
listening runs a pass at once instead of at its next poll. A lost wake-up costs
latency, never a message: pending messages stay marked and the next poll finds
them.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import redis

log = logging.getLogger("yiwen.pipeline.wakeups")

CHANNEL = "yiwen:pipeline:wake"
RECONNECT_DELAYS = (0.1, 0.5, 1.0, 2.0, 5.0)


class RedisWakeups:
    def __init__(self, url: str) -> None:
        self.url = url
        self._due = threading.Event()
        self._stop = threading.Event()
        self._sender: threading.Thread | None = None
        self._lock = threading.Lock()
        # Set once the listener is subscribed (tests wait for it).
        self.listening = threading.Event()

    def notify(self) -> None:
        """Ask the workers for a pass (any thread, never blocks). Wake-ups asked for
        while one is being published are sent as one."""
        self._due.set()
        with self._lock:
            if self._sender is None or not self._sender.is_alive():
                self._sender = threading.Thread(
                    target=self._send_forever, name="yiwen-pipeline-wake", daemon=True
                )
                self._sender.start()

    def _send_forever(self) -> None:
        client = redis.Redis.from_url(self.url, socket_timeout=5, socket_connect_timeout=5)
        try:
            while not self._stop.is_set():
                if not self._due.wait(1.0):
                    continue
                self._due.clear()
                try:
                    client.publish(CHANNEL, b"1")
                except redis.RedisError as error:
                    log.warning("pipeline wake-up not published: %s", error)
        finally:
            client.close()

    def listen(self, wake: Callable[[], None]) -> threading.Thread:
        """Call ``wake`` for every wake-up any app process publishes, until ``close``."""
        thread = threading.Thread(
            target=self._listen_forever, args=(wake,), name="yiwen-pipeline-listen", daemon=True
        )
        thread.start()
        return thread

    def _listen_forever(self, wake: Callable[[], None]) -> None:
        attempt = 0
        while not self._stop.is_set():
            client = redis.Redis.from_url(self.url, socket_connect_timeout=5)
            pubsub = client.pubsub(ignore_subscribe_messages=True)  # type: ignore[no-untyped-call]
            try:
                pubsub.subscribe(CHANNEL)
                self.listening.set()
                attempt = 0
                while not self._stop.is_set():
                    message = pubsub.get_message(timeout=1.0)
                    if message is not None and message.get("type") == "message":
                        wake()
            except (redis.RedisError, OSError) as error:
                self.listening.clear()
                delay = RECONNECT_DELAYS[min(attempt, len(RECONNECT_DELAYS) - 1)]
                attempt += 1
                log.warning("pipeline wake-ups lost Redis (%s); retrying in %.1fs", error, delay)
                time.sleep(delay)
            finally:
                self.listening.clear()
                pubsub.close()
                client.close()

    def close(self) -> None:
        self._stop.set()
        self._due.set()
