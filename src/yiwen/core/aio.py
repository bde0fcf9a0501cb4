"""Running a coroutine to completion from synchronous code, whatever thread it is called on."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run_blocking(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """``asyncio.run(make())``, or the same on a helper thread when this one runs a loop.

    Sync code (a notifier in the worker) may be reached from a thread that already
    runs an event loop, where ``asyncio.run`` refuses to start a second one.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make())
    outcome: list[T] = []
    failure: list[BaseException] = []

    def target() -> None:
        try:
            outcome.append(asyncio.run(make()))
        except BaseException as exc:  # re-raised in the caller's thread
            failure.append(exc)

    helper = threading.Thread(target=target, name="yiwen-run-blocking")
    helper.start()
    helper.join()
    if failure:
        raise failure[0]
    return outcome[0]
