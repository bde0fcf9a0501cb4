"""Realtime events shared between processes through Redis pub/sub.

With one process the hub delivers events to its own sockets directly. With
several (``yiwen serve --workers N``, separate ``yiwen worker`` processes) a
customer's socket may live in another process than the request that stored the
agent's reply, so every process publishes its events to Redis and delivers to
its sockets whatever Redis hands back, its own events included: one path, one
order.

Publishing never blocks a request or the event loop: events queue for one
sender thread per process, which keeps them in the order they were published.
Redis being away loses live events, never stored messages: clients catch up
through the message list's cursor when they reconnect, as after any network
loss.
"""

from __future__ import annotations

import asyncio
import json
import logging
import queue
import threading
from collections.abc import Callable
from typing import cast

import redis
import redis.asyncio as aioredis

from yiwen.conversations.realtime import Frame

log = logging.getLogger("yiwen.realtime.redis")

CHANNEL_PREFIX = "yiwen:rt:"
RECONNECT_DELAYS = (0.1, 0.5, 1.0, 2.0, 5.0)
_STOP = object()


class RedisFanout:
    def __init__(self, url: str) -> None:
        self.url = url
        self._outbox: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._sender: threading.Thread | None = None
        self._lock = threading.Lock()
        # Set once the listener is subscribed: events published before that would be missed.
        self.listening = threading.Event()

    # --- publishing (any thread) ---

    def publish(self, topic: str, data: dict[str, object]) -> None:
        self._ensure_sender()
        self._outbox.put(
            (CHANNEL_PREFIX + topic, json.dumps(data, ensure_ascii=False, default=str))
        )

    def _ensure_sender(self) -> None:
        with self._lock:
            if self._sender is None or not self._sender.is_alive():
                self._sender = threading.Thread(
                    target=self._send_forever, name="yiwen-rt-publish", daemon=True
                )
                self._sender.start()

    def _send_forever(self) -> None:
        client = redis.Redis.from_url(self.url, socket_timeout=5, socket_connect_timeout=5)
        while True:
            item = self._outbox.get()
            if item is _STOP:
                client.close()
                return
            channel, text = cast(tuple[str, str], item)
            try:
                client.publish(channel, text)
            except redis.RedisError as error:
                log.warning("realtime event on %s not published: %s", channel, error)

    def close(self) -> None:
        with self._lock:
            sender, self._sender = self._sender, None
        if sender is not None and sender.is_alive():
            self._outbox.put(_STOP)
            sender.join(timeout=5)

    # --- receiving (the event loop) ---

    async def listen(self, deliver: Callable[[str, dict[str, object]], None]) -> None:
        """Hand every event any process publishes to ``deliver``; reconnects until cancelled."""
        attempt = 0
        while True:
            client = aioredis.Redis.from_url(self.url)
            pubsub = client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.psubscribe(CHANNEL_PREFIX + "*")
                self.listening.set()
                attempt = 0
                async for message in pubsub.listen():
                    if message.get("type") != "pmessage":
                        continue
                    channel = message["channel"].decode()
                    try:
                        raw: str = message["data"].decode()
                        data = Frame(json.loads(raw), raw)
                    except ValueError:
                        log.warning("unreadable realtime event on %s", channel)
                        continue
                    deliver(channel.removeprefix(CHANNEL_PREFIX), data)
            except (redis.RedisError, OSError) as error:
                self.listening.clear()
                delay = RECONNECT_DELAYS[min(attempt, len(RECONNECT_DELAYS) - 1)]
                attempt += 1
                log.warning("realtime listener lost Redis (%s); retrying in %.1fs", error, delay)
                await asyncio.sleep(delay)
            finally:
                self.listening.clear()
                await pubsub.aclose()
                await client.aclose()
