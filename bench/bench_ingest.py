"""Messages ingested per second through the public HTTP API (concurrent clients, SQLite)."""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

import httpx

from bench.common import percentile, running_server, server_env
from yiwen.migrations import upgrade

CLIENTS = 16
MESSAGES_PER_CLIENT = 100


async def _client(base: str, index: int, latencies: list[float]) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        started = await http.post("/api/v1/customer/conversations", json={})
        data = started.json()
        url = f"/api/v1/customer/conversations/{data['conversation']['id']}/messages"
        headers = {"X-Conversation-Token": data["token"]}
        for n in range(MESSAGES_PER_CLIENT):
            body = {
                "client_msg_id": f"c{index}-{n}",
                "body": f"订单 K7Q2M9X4T1B8C3D{n % 10} 卡密没收到",
            }
            t0 = time.perf_counter()
            response = await http.post(url, json=body, headers=headers)
            latencies.append(time.perf_counter() - t0)
            response.raise_for_status()


async def _run(base: str) -> dict[str, float]:
    latencies: list[float] = []
    t0 = time.perf_counter()
    await asyncio.gather(*(_client(base, i, latencies) for i in range(CLIENTS)))
    elapsed = time.perf_counter() - t0
    return {
        "messages": len(latencies),
        "clients": CLIENTS,
        "seconds": round(elapsed, 2),
        "messages_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": round(percentile(latencies, 0.50) * 1000, 1),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
    }


def run() -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        upgrade(server_env(data_dir)["YIWEN_DATABASE_URL"])
        with running_server(data_dir) as base:
            return asyncio.run(_run(base))


if __name__ == "__main__":
    print(run())
