"""Fan committed events out to WebSocket subscribers of this process.

Events are published from worker threads (sync routes) after commit; the hub
hands them to the event loop that owns the sockets. A subscriber that falls
too far behind loses messages rather than stalling everyone, and catches up
through the message list's cursor when it reconnects. With several processes
the hub is given a :class:`~yiwen.conversations.fanout.RedisFanout`: events go
out through Redis and come back to every process's hub, its own included.

New messages travel on one channel of their own and are routed on arrival (to the
staff stream, and to the conversation's stream when public), after
:class:`~yiwen.conversations.ordering.MessageOrder` has put any that overtook each
other on the way back in the order they were stored.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import defaultdict
from typing import TYPE_CHECKING, cast

from yiwen.conversations.ordering import MessageOrder
from yiwen.core.events import DomainEvent
from yiwen.core.settings import Settings

if TYPE_CHECKING:
    from yiwen.conversations.fanout import RedisFanout

log = logging.getLogger("yiwen.realtime")

STAFF_TOPIC = "staff"
# New messages, all conversations, every visibility: routed by the receiving hub.
MESSAGES_TOPIC = "messages"
QUEUE_LIMIT = 1000


def realtime_fanout(settings: Settings) -> RedisFanout | None:
    """The Redis fan-out when ``redis_url`` is set (several processes), else None."""
    if not settings.redis_url:
        return None
    from yiwen.conversations.fanout import RedisFanout

    return RedisFanout(settings.redis_url)


def conversation_topic(conversation_id: str) -> str:
    return f"conversation:{conversation_id}"


class Frame(dict[str, object]):
    """An event with its JSON text, serialised once however many sockets it goes to.

    The console's stream has every agent subscribed to every event: encoding per
    socket would cost the event loop one ``json.dumps`` per agent per event.
    Events from Redis arrive as that text already.
    """

    __slots__ = ("text",)

    def __init__(self, data: dict[str, object], text: str | None = None) -> None:
        super().__init__(data)
        self.text = text if text is not None else json.dumps(data, ensure_ascii=False, default=str)


class RealtimeHub:
    def __init__(self, fanout: RedisFanout | None = None) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._subscribers: dict[str, set[asyncio.Queue[dict[str, object]]]] = defaultdict(set)
        self.fanout = fanout
        self._listener: asyncio.Task[None] | None = None
        self.order = MessageOrder()
        self._overdue_timer: asyncio.TimerHandle | None = None

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """Deliver to this loop's sockets (and, with a fan-out, start listening to Redis)."""
        self._loop = loop
        if self.fanout is not None and self._listener is None:
            self._listener = loop.create_task(self.fanout.listen(self._deliver))

    async def close(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
            self._listener = None
        if self.fanout is not None:
            self.fanout.close()

    def subscribe(self, topic: str) -> asyncio.Queue[dict[str, object]]:
        queue: asyncio.Queue[dict[str, object]] = asyncio.Queue(maxsize=QUEUE_LIMIT)
        self._subscribers[topic].add(queue)
        return queue

    def unsubscribe(self, topic: str, queue: asyncio.Queue[dict[str, object]]) -> None:
        self._subscribers[topic].discard(queue)
        if not self._subscribers[topic]:
            del self._subscribers[topic]

    def publish(self, topic: str, data: dict[str, object]) -> None:
        """Thread-safe: may be called from any thread once the hub is bound to a loop.

        With a fan-out, from any process, bound or not (a ``yiwen worker`` publishes
        for the app processes' sockets).
        """
        if self.fanout is not None:
            self.fanout.publish(topic, data)
            return
        if self._loop is None or self._loop.is_closed():
            return
        self._loop.call_soon_threadsafe(self._deliver, topic, data)

    def _deliver(self, topic: str, data: dict[str, object]) -> None:
        if topic == MESSAGES_TOPIC:
            self._deliver_message(data)
            return
        subscribers = self._subscribers.get(topic)
        if not subscribers:
            return
        frame = data if isinstance(data, Frame) else Frame(data)
        self._put(topic, subscribers, frame)

    def _deliver_message(self, data: dict[str, object]) -> None:
        """A new message: in its conversation's order, to staff and (if public) its customer."""
        message = data.get("message")
        if not isinstance(message, dict):
            return
        frame = data if isinstance(data, Frame) else Frame(data)
        previous = data.get("previous_id")
        ready = self.order.offer(
            str(message.get("conversation_id")),
            int(message.get("id") or 0),
            int(previous) if isinstance(previous, int) else None,
            frame,
            self._now(),
        )
        if not ready:
            self._watch_overdue()
        for item in ready:
            self._route_message(cast(Frame, item))

    def _route_message(self, ordered: Frame) -> None:
        # ``previous_id`` is for the hubs: it may name an internal note a customer never sees.
        frame = Frame({key: value for key, value in ordered.items() if key != "previous_id"})
        message = cast(dict[str, object], frame["message"])
        topics = [STAFF_TOPIC]
        if message.get("visibility") == "public":
            topics.append(conversation_topic(str(message.get("conversation_id"))))
        for topic in topics:
            subscribers = self._subscribers.get(topic)
            if subscribers:
                self._put(topic, subscribers, frame)

    def _now(self) -> float:
        return self._loop.time() if self._loop is not None else 0.0

    def _watch_overdue(self) -> None:
        if self._overdue_timer is not None or self._loop is None:
            return
        self._overdue_timer = self._loop.call_later(self.order.patience, self._release_overdue)

    def _release_overdue(self) -> None:
        self._overdue_timer = None
        ready = self.order.overdue(self._now())
        if ready:
            log.warning("released %d message events whose predecessor never came", len(ready))
        for item in ready:
            self._route_message(cast(Frame, item))
        if self.order.waiting:
            self._watch_overdue()

    def _put(
        self, topic: str, subscribers: set[asyncio.Queue[dict[str, object]]], frame: Frame
    ) -> None:
        for queue in list(subscribers):
            try:
                queue.put_nowait(frame)
            except asyncio.QueueFull:
                log.warning("realtime subscriber on %s is behind; dropping an event", topic)

    def on_event(self, event: DomainEvent) -> None:
        """Route a domain event to the staff stream and, if public, to the customer's stream."""
        if event.announced:
            return
        payload = dict(event.payload)
        payload.pop("customer_id", None)
        data: dict[str, object] = {"type": event.name, **payload}
        if event.name == "message.created" and "previous_id" in payload:
            self.publish(MESSAGES_TOPIC, data)
            return
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
