"""Realtime events and rate limits shared through a real Redis server (Debian's redis-server).

Each hub here runs its own event loop on its own thread, as each app process
does; they share nothing but the Redis server.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest

from tests.support.loops import LoopThread
from tests.support.redis import RedisServer
from yiwen.conversations.fanout import RedisFanout
from yiwen.conversations.realtime import RealtimeHub
from yiwen.core.errors import RateLimited
from yiwen.core.events import DomainEvent
from yiwen.http.ratelimit import RedisWindowLimiter


class Process(LoopThread):
    """A hub bound to an event loop running on a thread of its own."""

    def __init__(self, url: str) -> None:
        super().__init__()
        self.hub = RealtimeHub(RedisFanout(url))
        self.call(self.hub.bind, self.loop)
        assert self.hub.fanout is not None
        assert self.hub.fanout.listening.wait(10), "listener never subscribed"

    def subscribe(self, topic: str) -> asyncio.Queue[dict[str, object]]:
        return self.call(self.hub.subscribe, topic)

    def drain(
        self, queue: asyncio.Queue[dict[str, object]], count: int, timeout: float = 10
    ) -> list[dict[str, object]]:
        return self.take(queue, count, timeout)

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self.hub.close(), self.loop).result(10)
        self.stop()


@pytest.fixture
def two_processes(redis_server: RedisServer) -> Iterator[tuple[Process, Process]]:
    a, b = Process(redis_server.url), Process(redis_server.url)
    yield a, b
    a.close()
    b.close()


def test_an_event_published_in_one_process_reaches_sockets_in_every_process(
    two_processes: tuple[Process, Process],
) -> None:
    a, b = two_processes
    in_a = a.subscribe("conversation:c1")
    in_b = b.subscribe("conversation:c1")
    other_b = b.subscribe("conversation:c2")
    # Published from a request thread of process A, as after a commit.
    for n in range(200):
        a.hub.publish("conversation:c1", {"type": "message.created", "n": n})
    assert [e["n"] for e in b.drain(in_b, 200)] == list(range(200))
    assert [e["n"] for e in a.drain(in_a, 200)] == list(range(200))
    assert other_b.empty()


def created(message_id: int, previous_id: int | None) -> DomainEvent:
    message = {"id": message_id, "conversation_id": "c5", "visibility": "public"}
    return DomainEvent(
        "message.created", {"message": message, "customer_id": "x", "previous_id": previous_id}
    )


def test_messages_from_two_processes_reach_every_socket_in_stored_order(
    redis_server: RedisServer, two_processes: tuple[Process, Process]
) -> None:
    """The bot's answer (stored first, in the worker) is published after the customer's
    next message (stored second, in an app process): both processes' sockets still get
    the answer first."""
    a, b = two_processes
    in_a, in_b = a.subscribe("conversation:c5"), b.subscribe("staff")
    worker_hub = RealtimeHub(RedisFanout(redis_server.url))
    try:
        a.hub.on_event(created(1, None))
        assert [e["message"]["id"] for e in a.drain(in_a, 1)] == [1]  # type: ignore[index]
        a.hub.on_event(created(3, 2))
        time.sleep(0.2)  # 3 is through Redis and waiting in both hubs
        worker_hub.on_event(created(2, 1))
        assert [e["message"]["id"] for e in a.drain(in_a, 2)] == [2, 3]  # type: ignore[index]
        assert [e["message"]["id"] for e in b.drain(in_b, 3)] == [1, 2, 3]  # type: ignore[index]
    finally:
        assert worker_hub.fanout is not None
        worker_hub.fanout.close()


def test_a_worker_without_a_loop_publishes_for_the_app_processes(
    redis_server: RedisServer, two_processes: tuple[Process, Process]
) -> None:
    _, b = two_processes
    in_b = b.subscribe("staff")
    worker_hub = RealtimeHub(RedisFanout(redis_server.url))  # never bound: `yiwen worker`
    try:
        worker_hub.publish("staff", {"type": "ticket.created", "ticket_id": "t1"})
        assert b.drain(in_b, 1) == [{"type": "ticket.created", "ticket_id": "t1"}]
    finally:
        assert worker_hub.fanout is not None
        worker_hub.fanout.close()


def test_listeners_come_back_after_redis_restarts(
    redis_server: RedisServer, two_processes: tuple[Process, Process]
) -> None:
    a, b = two_processes
    in_b = b.subscribe("conversation:c9")
    redis_server.restart()
    assert b.hub.fanout is not None and a.hub.fanout is not None
    deadline = time.monotonic() + 15
    received: list[dict[str, object]] = []
    # Events published while the listener reconnects are lost (clients catch up by
    # cursor); once it is back, events flow again.
    while time.monotonic() < deadline and not received:
        a.hub.publish("conversation:c9", {"type": "ping"})
        try:
            received = b.drain(in_b, 1, timeout=0.5)
        except TimeoutError:
            continue
    assert received == [{"type": "ping"}]


def test_rate_limits_are_shared_by_every_process(redis_server: RedisServer) -> None:
    # Two processes' limiters for the same endpoint and address: 5 tries in all, not 5 each.
    first = RedisWindowLimiter(redis_server.url, limit=5, window_seconds=60)
    second = RedisWindowLimiter(redis_server.url, limit=5, window_seconds=60)
    allowed = 0
    for n in range(10):
        limiter = first if n % 2 else second
        try:
            limiter.check("/api/v1/customer/tickets/track:10.0.0.7")
            allowed += 1
        except RateLimited:
            pass
    assert allowed == 5
    # Another address has its own window.
    first.check("/api/v1/customer/tickets/track:10.0.0.8")
