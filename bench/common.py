"""Helpers for benchmarks: a real Yiwen server in a subprocess on loopback, and percentiles."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def server_env(
    data_dir: Path, database_url: str | None = None, redis_url: str | None = None
) -> dict[str, str]:
    """The environment of a bench server; with ``redis_url``, the multi-process layout of
    docs/operations.md (separate `yiwen worker`s run the jobs and message reactions)."""
    env = {
        **os.environ,
        "YIWEN_DATA_DIR": str(data_dir),
        "YIWEN_DATABASE_URL": database_url or f"sqlite:///{data_dir / 'yiwen.db'}",
        "YIWEN_SECRET_KEY": "bench-secret",
    }
    if redis_url:
        env.update(YIWEN_REDIS_URL=redis_url, YIWEN_WORKER_EMBEDDED="false")
    return env


@contextmanager
def running_worker(
    data_dir: Path, *, database_url: str, redis_url: str
) -> Iterator[subprocess.Popen[bytes]]:
    """One `yiwen worker` beside a server started with the same ``redis_url``."""
    command = [sys.executable, "-m", "yiwen.cli", "worker"]
    process = subprocess.Popen(
        command, env=server_env(data_dir, database_url, redis_url), stdout=subprocess.DEVNULL
    )
    try:
        yield process
    finally:
        process.terminate()
        process.wait(timeout=30)


@contextmanager
def running_server(
    data_dir: Path,
    *,
    workers: int = 1,
    database_url: str | None = None,
    redis_url: str | None = None,
) -> Iterator[str]:
    """Serve the app from ``data_dir`` (already migrated) with uvicorn; yields the base URL."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "yiwen.web.app:create_app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--workers",
        str(workers),
    ]
    process = subprocess.Popen(command, env=server_env(data_dir, database_url, redis_url))
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            raise RuntimeError("server did not start")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)
