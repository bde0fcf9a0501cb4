"""Sync code can finish a coroutine even on a thread that is already running an event loop."""

from __future__ import annotations

import asyncio

import pytest

from yiwen.core.aio import run_blocking


async def double(value: int) -> int:
    await asyncio.sleep(0)
    return value * 2


async def refuse() -> int:
    raise ValueError("refused")


def test_it_runs_a_coroutine_from_plain_sync_code() -> None:
    assert run_blocking(lambda: double(21)) == 42


def test_it_runs_a_coroutine_where_a_loop_is_already_running() -> None:
    async def caller() -> int:
        # What asyncio.run would refuse here ("cannot be called from a running event loop").
        return run_blocking(lambda: double(4))

    assert asyncio.run(caller()) == 8


def test_the_coroutines_error_reaches_the_caller() -> None:
    async def caller() -> int:
        return run_blocking(refuse)

    with pytest.raises(ValueError, match="refused"):
        asyncio.run(caller())
