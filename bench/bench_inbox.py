"""Inbox listing latency over HTTP with 10k and 100k tickets (SQLite)."""

from __future__ import annotations

import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import insert

from bench.common import percentile, running_server, server_env
from yiwen.auth.service import create_staff
from yiwen.core.clock import SystemClock
from yiwen.core.db import Database
from yiwen.core.ids import new_id
from yiwen.customers.models import Customer
from yiwen.migrations import upgrade
from yiwen.tickets.models import Ticket
from yiwen.tickets.status import STATUSES
from yiwen.tickets.taxonomy import CATEGORIES

SIZES = (10_000, 100_000)
REPEAT = 40
PASSWORD = "Bench-passw0rd!"
QUERIES = {
    "all, first page": {},
    "mine, open": {"view": "mine", "open_only": "true"},
    "unassigned": {"view": "unassigned"},
    "status=open": {"status": "open"},
    "category + urgent": {"category": "card_invalid", "urgent": "true"},
}


def populate(database: Database, count: int) -> str:
    """Bulk-insert ``count`` tickets over 90 days; returns the id of the agent owning some."""
    rng = random.Random(count)
    now = datetime.now(UTC)
    with database.transaction() as db:
        agents = [
            create_staff(
                db,
                SystemClock(),
                username=f"agent{i}",
                password=PASSWORD,
                display_name=f"客服{i}",
                role="agent_l1",
            )
            for i in range(20)
        ]
        agent_ids = [a.id for a in agents]
    customers = [
        {"id": new_id(), "tier": "normal", "tags": [], "created_at": now, "updated_at": now}
        for _ in range(max(1, count // 5))
    ]
    categories = list(CATEGORIES)
    rows = []
    for n in range(count):
        created = now - timedelta(minutes=rng.randrange(90 * 24 * 60))
        rows.append(
            {
                "id": new_id(),
                "number": f"YWB{n:09d}",
                "customer_id": rng.choice(customers)["id"],
                "channel": "web",
                "category": rng.choice(categories),
                "priority": rng.choice(("low", "normal", "high", "urgent")),
                "urgent": rng.random() < 0.05,
                "status": rng.choice(STATUSES),
                "subject": "卡密没收到",
                "description": "",
                "key_info": {},
                "assignee_id": rng.choice(agent_ids) if rng.random() < 0.7 else None,
                "resolution_round": 0,
                "created_at": created,
                "updated_at": created + timedelta(minutes=rng.randrange(600)),
            }
        )
    with database.engine.begin() as connection:
        for start in range(0, len(customers), 5000):
            connection.execute(insert(Customer), customers[start : start + 5000])
        for start in range(0, len(rows), 5000):
            connection.execute(insert(Ticket), rows[start : start + 5000])
    return agent_ids[0]


def measure(base: str) -> dict[str, dict[str, float]]:
    figures: dict[str, dict[str, float]] = {}
    with httpx.Client(base_url=base, timeout=30) as http:
        token = http.post(
            "/api/v1/auth/login", json={"username": "agent0", "password": PASSWORD}
        ).json()["token"]
        http.headers["Authorization"] = f"Bearer {token}"
        for name, params in QUERIES.items():
            figures[name] = _time(http, params)
        cursor = None
        for _ in range(20):  # walk 20 pages deep, then time the 21st
            page = http.get(
                "/api/v1/tickets", params={"limit": 50, **({"cursor": cursor} if cursor else {})}
            ).json()
            cursor = page["next_cursor"]
        figures["page 21 by cursor"] = _time(http, {"cursor": cursor} if cursor else {})
    return figures


def _time(http: httpx.Client, params: dict[str, str]) -> dict[str, float]:
    latencies = []
    for _ in range(REPEAT):
        t0 = time.perf_counter()
        response = http.get("/api/v1/tickets", params={"limit": 50, **params})
        latencies.append(time.perf_counter() - t0)
        response.raise_for_status()
    return {
        "p50_ms": round(percentile(latencies, 0.5) * 1000, 1),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
    }


def run() -> dict[str, dict[str, dict[str, float]]]:
    results = {}
    for size in SIZES:
        with tempfile.TemporaryDirectory() as tmp:
            data_dir = Path(tmp)
            url = server_env(data_dir)["YIWEN_DATABASE_URL"]
            upgrade(url)
            database = Database(url)
            populate(database, size)
            database.dispose()
            with running_server(data_dir) as base:
                results[f"{size} tickets"] = measure(base)
    return results


if __name__ == "__main__":
    print(run())
