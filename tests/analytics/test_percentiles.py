"""Median and p90 follow the nearest-rank definition exactly, computed by the database."""

from __future__ import annotations

import math
import random
from datetime import UTC, date, datetime, time, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import insert

from tests.analytics.conftest import Seats
from yiwen.core.clock import SHANGHAI
from yiwen.core.db import Database
from yiwen.core.ids import new_id
from yiwen.customers.models import Customer
from yiwen.tickets.models import Ticket

FIRST_DAY = date(2026, 11, 1)
SIZES = range(1, 13)


def nearest_rank(values: list[int], p: float) -> int:
    return sorted(values)[math.ceil(p * len(values)) - 1]


def insert_answered_tickets(database: Database, waits_by_day: dict[date, list[int]]) -> None:
    """Tickets answered ``wait`` seconds after they were opened, at noon of their day."""
    now = datetime(2026, 11, 1, tzinfo=UTC)
    customer = {"id": new_id(), "tier": "normal", "tags": [], "created_at": now, "updated_at": now}
    rows = []
    for day, waits in waits_by_day.items():
        for wait in waits:
            answered = datetime.combine(day, time(12), tzinfo=SHANGHAI).astimezone(UTC)
            rows.append(
                {
                    "id": new_id(),
                    "number": f"YWP{len(rows):06d}",
                    "customer_id": customer["id"],
                    "channel": "web",
                    "category": "other",
                    "status": "open",
                    "subject": "-",
                    "key_info": {},
                    "resolution_round": 0,
                    "created_at": answered - timedelta(seconds=wait),
                    "first_response_at": answered,
                    "updated_at": answered,
                }
            )
    with database.engine.begin() as connection:
        connection.execute(insert(Customer), [customer])
        connection.execute(insert(Ticket), rows)


def test_median_and_p90_are_the_nearest_rank_values(
    database: Database, client: TestClient, seat: Seats
) -> None:
    rng = random.Random(2026)
    # Day k holds k waits, ties included, so every small size and both parities are covered.
    waits_by_day = {
        FIRST_DAY + timedelta(days=size - 1): [rng.randrange(1, 50) * 30 for _ in range(size)]
        for size in SIZES
    }
    insert_answered_tickets(database, waits_by_day)
    params = {
        "from": FIRST_DAY.isoformat(),
        "to": (FIRST_DAY + timedelta(days=len(SIZES) - 1)).isoformat(),
        "group_by": "day",
    }
    body = client.get("/api/v1/kpis", params=params, headers=seat("supervisor")).json()
    for group in body["groups"]:
        waits = waits_by_day[date.fromisoformat(group["key"])]
        assert group["figures"]["first_response_time"] == {
            "n": len(waits),
            "median_seconds": nearest_rank(waits, 0.5),
            "p90_seconds": nearest_rank(waits, 0.9),
        }
    every_wait = [w for waits in waits_by_day.values() for w in waits]
    assert body["totals"]["first_response_time"]["median_seconds"] == nearest_rank(every_wait, 0.5)
    assert body["totals"]["first_response_time"]["p90_seconds"] == nearest_rank(every_wait, 0.9)
