"""Running real `yiwen worker` processes against the test database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from yiwen.core.settings import Settings


def worker_env(settings: Settings, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("YIWEN_")}
    env.update(
        YIWEN_DATA_DIR=str(settings.data_dir),
        YIWEN_DATABASE_URL=settings.resolved_database_url(),
        YIWEN_SECRET_KEY=settings.secret_key,
        YIWEN_DEMO_SHOP_URL=settings.resolved_demo_shop_url(),
        # The receiving peer listens on loopback.
        YIWEN_WEBHOOK_ALLOW_PRIVATE="true",
        # A claim held by a killed worker comes back after one second.
        YIWEN_WORKER_CLAIM_SECONDS="1",
    )
    env.update(extra)
    return env


def start_worker(settings: Settings, **extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "yiwen.cli", "worker", "--until-idle", "--deliveries-only"],
        env=worker_env(settings, **extra),
        cwd=Path(__file__).resolve().parents[2],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: subprocess.Popen[str], timeout: float = 30) -> tuple[int, dict[str, object]]:
    """Wait for the process; returns its exit code and its closing figures (if it printed them)."""
    out, err = process.communicate(timeout=timeout)
    lines = [line for line in out.splitlines() if line.startswith("{")]
    figures: dict[str, object] = json.loads(lines[-1]) if lines else {}
    if process.returncode not in (0, -9):
        raise AssertionError(f"worker failed ({process.returncode}):\n{err}")
    return process.returncode, figures
