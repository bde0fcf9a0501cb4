"""WebSocket load on the multi-process deployment (issue 9, part 3).

PostgreSQL (a private cluster, tests/support/postgres.py), Redis, two
`yiwen serve` processes with the bot on, a `yiwen worker` and nginx in front
(tests/support/deployment.py, the layout of docs/operations.md). Load
generators (tests/support/ws_load.py, asyncio + uvloop + websockets, one
process per core) open N widget sockets and M console sockets through nginx
and keep them all open while customers write: every customer asks the bot a
question, a share ask for a human and talk to the agent who takes them.

Reported: how long connecting took, message throughput while every socket is
open, p50/p99/max of
- customer → agent: the customer's POST acknowledged → the message on every
  agent's socket;
- agent → customer: the agent's POST acknowledged → the reply on the
  customer's socket;
- bot answer: the customer's POST sent → the bot's answer on the customer's
  socket (the bot answers inside the request, so this includes its turn);
- the two POSTs' own round trips;
errors, and the database check: every acknowledged message stored once, every
socket's messages complete, in order, without duplicates. The target is p99
delivery < 200 ms at 5,000 sockets with zero lost or duplicated messages. The
load average before and after is recorded: the machine may be shared.

Run: ``python -m bench.bench_ws_load [--customers 5000] [--agents 20]
[--rate 40] [--generators 2] [--profile DIR]`` (``--profile`` samples the
app processes with py-spy while the messages flow). `make bench` runs the
default size.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.deployment import Deployment  # noqa: E402
from tests.support.postgres import PostgresServer  # noqa: E402
from tests.support.redis import RedisServer  # noqa: E402
from tests.support.ws_load import (  # noqa: E402
    LoadPlan,
    check_delivery,
    latencies,
    raise_file_limit,
    run_load,
)

from bench.common import percentile  # noqa: E402

TARGET_P99_MS = 200.0


def load_average() -> list[float]:
    return [round(value, 2) for value in os.getloadavg()]


def summary(values: list[float]) -> dict[str, float | int]:
    return {
        "count": len(values),
        "p50_ms": round(percentile(values, 0.50) * 1000, 1),
        "p99_ms": round(percentile(values, 0.99) * 1000, 1),
        "max_ms": round(max(values, default=float("nan")) * 1000, 1),
    }


def delivered(load: dict[str, Any]) -> int:
    """Message frames received by every customer and agent socket together."""
    return sum(
        sum(len(c["received"]) for c in result["customers"])
        + sum(len(items) for a in result["agents"] for items in a["received"].values())
        for result in load["generators"]
    )


def start_profiles(pids: list[int], out: Path, seconds: int) -> list[subprocess.Popen[bytes]]:
    """py-spy on each app process while the messages flow (needs `pip install py-spy`)."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    out.mkdir(parents=True, exist_ok=True)
    spies = []
    for pid in pids:
        output = out / f"app-{pid}.speedscope.json"
        command = [spy, "record", "--pid", str(pid), "--duration", str(seconds), "--rate", "50",
                   "--format", "speedscope", "--output", str(output)]  # fmt: skip
        spies.append(
            subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        )
    return spies


def run(
    customers: int = 5000,
    agents: int = 20,
    message_rate: float = 15.0,
    writers_share: float = 0.2,
    generators: int = 2,
    apps: int = 2,
    profile: Path | None = None,
    reactions: str | None = None,
) -> dict[str, Any]:
    """The figures of one run; ``reactions`` sets ``message_reactions`` (default: the app's)."""
    raise_file_limit()
    plan = LoadPlan(
        customers=customers,
        agents=agents,
        generators=generators,
        message_rate=message_rate,
        writers_share=writers_share,
        bot_questions=1,
        handoff_share=0.1,
        agent_turns=1,
        connect_rate=150.0 / generators,
        reply_timeout=60.0,
        deadline=900.0,
    )
    work = Path(tempfile.mkdtemp(prefix="yiwen-ws-load-"))
    postgres = PostgresServer.start(work / "pg")
    redis = RedisServer.start(work / "redis")
    extra_env = {"YIWEN_MESSAGE_REACTIONS": reactions} if reactions else {}
    deployment = Deployment(
        work, postgres.url("yiwen_load"), redis.url, bot_enabled=True, extra_env=extra_env
    )
    before = load_average()
    try:
        postgres.create_database("yiwen_load")
        deployment.migrate()
        deployment.start_apps(apps)
        deployment.start_worker()
        front = deployment.start_nginx(worker_connections=2 * (customers + agents) + 1024)
        if front is None:
            return {"skipped": "nginx is not installed"}
        spies: list[subprocess.Popen[bytes]] = []

        def profile_messages() -> None:
            if profile is not None:
                spies.extend(start_profiles(deployment.app_pids(), profile, 60))

        load = run_load(deployment, plan, work / "load", on_go=profile_messages)
        for spy in spies:
            spy.wait(timeout=120)
        report = check_delivery(deployment.env["YIWEN_DATABASE_URL"], load)
    finally:
        after = load_average()
        deployment.stop()
        redis.stop()
        postgres.stop()
    measured = latencies(load)
    elapsed = max(result["elapsed"] for result in load["generators"])
    errors: dict[str, int] = {}
    for result in load["generators"]:
        for key, count in result["errors"].items():
            errors[key] = errors.get(key, 0) + count
    customer_to_agent = summary(measured["customer_to_agent"])
    agent_to_customer = summary(measured["agent_to_customer"])
    figures: dict[str, Any] = {
        "customers (sockets)": customers,
        "agents (sockets)": agents,
        "app processes": apps,
        "message reactions": reactions or "default",
        "generator processes": generators,
        "connect all sockets (s)": round(load["connected_in"], 1),
        "message phase (s)": round(elapsed, 1),
        "messages acknowledged": report.acknowledged,
        "messages per second": round(report.acknowledged / elapsed, 1) if elapsed else 0,
        "messages delivered to sockets per second": round(delivered(load) / elapsed, 1)
        if elapsed
        else 0,
        "customer -> agent delivery": customer_to_agent,
        "agent -> customer delivery": agent_to_customer,
        "bot answer (send -> socket)": summary(measured["bot_answer"]),
        "customer POST round trip": summary(measured["customer_ack"]),
        "agent POST round trip": summary(measured["agent_ack"]),
        "errors": errors,
        "stored exactly once": f"{report.stored_once}/{report.acknowledged}",
        "lost / duplicated / out of order": [report.lost, report.duplicated, report.out_of_order],
        "stored after the sockets closed": report.stored_after_close,
        "handoffs answered": f"{report.handoffs_answered}/{report.handoffs}",
        "problems (first 5)": report.problems[:5],
        "load average before / after": [before, after],
        "target: p99 delivery < 200 ms": (
            max(customer_to_agent["p99_ms"], agent_to_customer["p99_ms"]) < TARGET_P99_MS
        ),
        "target: zero lost or duplicated": report.lost == 0
        and report.duplicated == 0
        and report.not_stored == 0
        and report.stored_twice == 0,
        "work directory": str(work),
    }
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=5000)
    parser.add_argument("--agents", type=int, default=20)
    parser.add_argument("--rate", type=float, default=15.0, help="customer messages per second")
    parser.add_argument("--writers", type=float, default=0.2, help="share of customers who write")
    parser.add_argument("--generators", type=int, default=2)
    parser.add_argument("--apps", type=int, default=2)
    parser.add_argument("--profile", type=Path, help="write py-spy profiles of the apps here")
    parser.add_argument("--reactions", choices=("deferred", "inline"), help="message_reactions")
    args = parser.parse_args()
    started = time.monotonic()
    figures = run(
        args.customers,
        args.agents,
        args.rate,
        args.writers,
        args.generators,
        args.apps,
        args.profile,
        args.reactions,
    )
    figures["wall time (s)"] = round(time.monotonic() - started, 1)
    print(json.dumps(figures, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
