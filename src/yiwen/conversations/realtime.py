"""Fan committed events out to WebSocket subscribers of this process.

Events are published from worker threads (sync routes) after commit; the hub
hands them to the event loop that owns the sockets. A subscriber that falls
too far behind loses messages rather than stalling everyone, and catches up
through the message list's cursor when it reconnects. (Several processes will
share events through Redis pub/sub: issue 9.)
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict

from yiwen.core.events import DomainEvent

log = logging.getLogger("yiwen.realtime")

STAFF_TOPIC = "staff"
QUEUE_LIMIT = 1000


def conversation_topic(conversation_id: str) -> str:
    return f"conversation:{conversation_id}"


class RealtimeHub:
    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._subscribers: dict[str, set[asyncio.Queue[dict[str, object]]]] = defaultdict(set)

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def subscribe(self, topic: str) -> asyncio.Queue[dict[str, object]]:
        queue: asyncio.Queue[dict[str, object]] = asyncio.Queue(maxsize=QUEUE_LIMIT)
        self._subscribers[topic].add(queue)
        return queue

    def unsubscribe(self, topic: str, queue: asyncio.Queue[dict[str, object]]) -> None:
        self._subscribers[topic].discard(queue)
        if not self._subscribers[topic]:
            del self._subscribers[topic]

    def publish(self, topic: str, data: dict[str, object]) -> None:
        """Thread-safe: may be called from any thread once the hub is bound to a loop."""
        if self._loop is None or self._loop.is_closed():
            return
        self._loop.call_soon_threadsafe(self._deliver, topic, data)

    def _deliver(self, topic: str, data: dict[str, object]) -> None:
        for queue in list(self._subscribers.get(topic, ())):
            try:
                queue.put_nowait(data)
            except asyncio.QueueFull:
                log.warning("realtime subscriber on %s is behind; dropping an event", topic)

    def on_event(self, event: DomainEvent) -> None:
        """Route a domain event to the staff stream and, if public, to the customer's stream."""
        payload = dict(event.payload)
        payload.pop("customer_id", None)
        data: dict[str, object] = {"type": event.name, **payload}
        self.publish(STAFF_TOPIC, data)
        conversation_id = _conversation_of(event)
        if conversation_id and _is_public(event):
            self.publish(conversation_topic(conversation_id), data)


def _conversation_of(event: DomainEvent) -> str | None:
    message = event.payload.get("message")
    if isinstance(message, dict):
        value = message.get("conversation_id")
        return str(value) if value else None
    value = event.payload.get("conversation_id")
    return str(value) if value else None


def _is_public(event: DomainEvent) -> bool:
    message = event.payload.get("message")
    if isinstance(message, dict):
        return message.get("visibility") == "public"
    return event.payload.get("visibility", "internal") == "public"
