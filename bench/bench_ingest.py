"""Messages ingested per second through the public HTTP API (concurrent clients, SQLite)."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

import httpx

from bench.common import percentile, running_server, server_env
from bench.loadgen import Call, run_calls
from yiwen.migrations import upgrade

CLIENTS = 16
MESSAGES_PER_CLIENT = 100


async def _run(base: str) -> dict[str, float]:
    calls: list[Call] = []
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        for index in range(CLIENTS):
            data = (await http.post("/api/v1/customer/conversations", json={})).json()
            url = f"/api/v1/customer/conversations/{data['conversation']['id']}/messages"
            headers = {"X-Conversation-Token": data["token"]}
            calls.extend(
                Call(
                    "POST",
                    url,
                    {
                        "client_msg_id": f"c{index}-{n}",
                        "body": f"订单 K7Q2M9X4T1B8C3D{n % 10} 卡密没收到",
                    },
                    headers,
                )
                for n in range(MESSAGES_PER_CLIENT)
            )
    # Interleaved by conversation: about one message of each conversation in flight.
    ordered = [
        calls[c * MESSAGES_PER_CLIENT + n]
        for n in range(MESSAGES_PER_CLIENT)
        for c in range(CLIENTS)
    ]
    run = await run_calls(base, ordered, clients=CLIENTS)
    if run.errors:
        refused = next(answer for answer in run.answers if answer.status_code >= 400)
        raise RuntimeError(f"{run.errors} messages refused, e.g. {refused.content!r}")
    return {
        "messages": len(run.latencies),
        "clients": CLIENTS,
        "seconds": round(run.seconds, 2),
        "messages_per_s": round(len(run.latencies) / run.seconds, 1),
        "p50_ms": round(percentile(run.latencies, 0.50) * 1000, 1),
        "p99_ms": round(percentile(run.latencies, 0.99) * 1000, 1),
    }


def run() -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        upgrade(server_env(data_dir)["YIWEN_DATABASE_URL"])
        with running_server(data_dir) as base:
            return asyncio.run(_run(base))


if __name__ == "__main__":
    print(run())
