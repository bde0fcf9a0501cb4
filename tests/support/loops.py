"""An asyncio event loop on a thread of its own, as an app process runs its hub and
sockets, driven from a test's thread."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import TypeVar

T = TypeVar("T")


class LoopThread:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def call(self, fn: Callable[..., T], *args: object) -> T:
        """Run ``fn(*args)`` on the loop's thread and return what it returns."""
        done: Future[T] = Future()

        def run() -> None:
            try:
                done.set_result(fn(*args))
            except BaseException as error:
                done.set_exception(error)

        self.loop.call_soon_threadsafe(run)
        return done.result(timeout=10)

    def take(
        self, queue: asyncio.Queue[dict[str, object]], count: int, timeout: float = 10
    ) -> list[dict[str, object]]:
        """The next ``count`` items of a subscriber's queue, waiting up to ``timeout``."""

        async def take() -> list[dict[str, object]]:
            return [await queue.get() for _ in range(count)]

        return asyncio.run_coroutine_threadsafe(
            asyncio.wait_for(take(), timeout), self.loop
        ).result(timeout + 1)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
