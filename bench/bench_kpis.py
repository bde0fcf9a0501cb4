"""KPI report latency over a year of 100k tickets (SQLite, and PostgreSQL when installed).

The tickets spread over 365 days with realistic shapes: most answered within
the hour and resolved within a day, some reopened or transferred, a fifth rated,
plus 50k bot conversations. Each report is timed through the service the API
calls (``get_kpi_report``), in a read session as a request would use.
"""

from __future__ import annotations

import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, select, text

from bench.common import percentile
from yiwen.analytics.service import get_kpi_report
from yiwen.auth.models import StaffUser
from yiwen.auth.service import create_staff
from yiwen.bot.models import BotOutcome
from yiwen.conversations.models import Conversation
from yiwen.core.clock import FixedClock
from yiwen.core.db import Database
from yiwen.core.ids import new_id
from yiwen.customers.models import Customer
from yiwen.migrations import upgrade
from yiwen.tickets.models import CsatRating, Ticket, TicketEvent
from yiwen.tickets.taxonomy import CATEGORIES
from yiwen.wiring import import_models

TICKETS = 100_000
BOT_CONVERSATIONS = 50_000
NOW = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)
REPEAT = 3
REPORTS = {
    "last 30 days, totals": {"first": "2026-10-24", "last": "2026-11-22", "group_by": None},
    "last 30 days by agent": {"first": "2026-10-24", "last": "2026-11-22", "group_by": "agent"},
    "365 days by day": {"first": "2025-11-23", "last": "2026-11-22", "group_by": "day"},
    "365 days by category": {"first": "2025-11-23", "last": "2026-11-22", "group_by": "category"},
    "365 days by queue": {"first": "2025-11-23", "last": "2026-11-22", "group_by": "queue"},
}
CHANNELS = ("web", "api", "wechat", "qq", "email")
QUEUES = ("general_l1", "general_l2", "tech_l1", "finance_l1", "security_l1")
STATUSES_OPEN = ("new", "open", "pending_customer", "pending_supplier")


def _ticket(rng: random.Random, n: int, customer_ids: list[str], agents: list[str]) -> dict:  # type: ignore[type-arg]
    created = NOW - timedelta(seconds=rng.randrange(365 * 86400))
    age = (NOW - created).total_seconds()
    answered = created + timedelta(seconds=rng.expovariate(1 / 900))
    resolved = created + timedelta(seconds=rng.expovariate(1 / 20000))
    done = resolved < NOW and rng.random() < 0.95
    reopened = done and rng.random() < 0.05
    assignee = rng.choice(agents) if rng.random() < 0.9 else None
    return {
        "id": new_id(),
        "number": f"YWK{n:09d}",
        "customer_id": rng.choice(customer_ids),
        "channel": rng.choice(CHANNELS),
        "category": rng.choice(list(CATEGORIES)),
        "priority": "normal",
        "urgent": False,
        "status": rng.choice(("resolved", "closed")) if done else rng.choice(STATUSES_OPEN),
        "subject": "卡密没收到",
        "description": "",
        "key_info": {},
        "assignee_id": assignee,
        "queue": rng.choice(QUEUES),
        "first_response_due_at": created + timedelta(minutes=30),
        "due_at": created + timedelta(hours=rng.choice((1, 24))),
        "first_response_at": answered if answered < NOW and age > 60 else None,
        "resolved_at": resolved if done else None,
        "resolved_by_id": (assignee if rng.random() < 0.9 else rng.choice(agents))
        if done
        else None,
        "resolution_round": (2 if reopened else 1) if done else 0,
        "created_at": created,
        "updated_at": resolved if done else created,
    }


def populate(database: Database) -> None:
    rng = random.Random(4)
    clock = FixedClock(NOW)
    with database.transaction() as db:
        agents = [
            create_staff(
                db,
                clock,
                username=f"a{i}",
                password="Bench-passw0rd!",
                display_name=f"客服{i}",
                role="agent_l1",
            ).id
            for i in range(50)
        ]
        create_staff(
            db,
            clock,
            username="boss",
            password="Bench-passw0rd!",
            display_name="主管",
            role="supervisor",
        )
    customers = [
        {"id": new_id(), "tier": "normal", "tags": [], "created_at": NOW, "updated_at": NOW}
        for _ in range(20_000)
    ]
    customer_ids = [c["id"] for c in customers]
    tickets = [_ticket(rng, n, customer_ids, agents) for n in range(TICKETS)]
    events = [
        {
            "ticket_id": t["id"],
            "kind": "created",
            "visibility": "public",
            "actor_type": "customer",
            "body": "",
            "data": {},
            "at": t["created_at"],
        }
        for t in tickets
    ] + [
        {
            "ticket_id": t["id"],
            "kind": "transferred",
            "visibility": "internal",
            "actor_type": "staff",
            "body": "",
            "data": {},
            "at": t["created_at"],
        }
        for t in tickets
        if rng.random() < 0.1
    ]
    ratings = [
        {
            "id": new_id(),
            "ticket_id": t["id"],
            "resolution_round": t["resolution_round"],
            "score": rng.choice((1, 3, 4, 5, 5)),
            "comment": "",
            "agent_id": t["resolved_by_id"],
            "created_at": t["resolved_at"] + timedelta(minutes=5),
        }
        for t in tickets
        if t["resolved_at"] is not None and rng.random() < 0.2
    ]
    conversations = []
    outcomes = []
    for _ in range(BOT_CONVERSATIONS):
        at = NOW - timedelta(seconds=rng.randrange(365 * 86400))
        customer = rng.choice(customer_ids)
        conversation = {
            "id": new_id(),
            "customer_id": customer,
            "channel": rng.choice(CHANNELS),
            "status": "closed",
            "last_message_at": at,
            "last_message_preview": "",
            "unread_for_staff": 0,
            "created_at": at,
            "updated_at": at,
        }
        conversations.append(conversation)
        outcomes.append(
            {
                "id": new_id(),
                "conversation_id": conversation["id"],
                "customer_id": customer,
                "channel": conversation["channel"],
                "intent": rng.choice(list(CATEGORIES)),
                "outcome": "resolved" if rng.random() < 0.6 else "handed_off",
                "created_at": at,
            }
        )
    with database.engine.begin() as connection:
        for model, rows in (
            (Customer, customers),
            (Ticket, tickets),
            (TicketEvent, events),
            (CsatRating, ratings),
            (Conversation, conversations),
            (BotOutcome, outcomes),
        ):
            for start in range(0, len(rows), 5000):
                connection.execute(insert(model), rows[start : start + 5000])


def measure(database: Database) -> dict[str, dict[str, float]]:
    clock = FixedClock(NOW)
    figures = {}
    for name, params in REPORTS.items():
        latencies = []
        for _ in range(REPEAT):
            t0 = time.perf_counter()
            with database.reading() as db:
                boss = db.scalars(select(StaffUser).where(StaffUser.username == "boss")).one()
                get_kpi_report(db, clock, boss, agent_id=None, **params)  # type: ignore[arg-type]
            latencies.append(time.perf_counter() - t0)
        figures[name] = {
            "p50_ms": round(percentile(latencies, 0.5) * 1000, 1),
            "max_ms": round(max(latencies) * 1000, 1),
        }
    return figures


def _run_on(url: str) -> dict[str, dict[str, float]]:
    upgrade(url)
    database = Database(url)
    try:
        t0 = time.perf_counter()
        populate(database)
        print(f"populated {TICKETS} tickets in {time.perf_counter() - t0:.1f} s")
        if database.dialect == "postgresql":
            # A live server has statistics (autovacuum); a bulk load must gather them itself.
            with database.engine.begin() as connection:
                connection.execute(text("ANALYZE"))
        return measure(database)
    finally:
        database.dispose()


def run() -> dict[str, dict[str, dict[str, float]]]:
    import_models()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        results["SQLite, 100k tickets"] = _run_on(f"sqlite:///{Path(tmp) / 'kpis.db'}")
        results.update(_run_on_postgres(Path(tmp)))
    return results


def _run_on_postgres(tmp: Path) -> dict[str, dict[str, dict[str, float]]]:
    """The same on a private PostgreSQL server, when its binaries are installed."""
    from tests.support.postgres import PostgresServer

    try:
        server = PostgresServer.start(tmp / "pg")
    except RuntimeError as exc:  # no PostgreSQL binaries on this machine
        print(f"PostgreSQL skipped: {exc}")
        return {}
    try:
        server.create_database("kpis")
        return {"PostgreSQL, 100k tickets": _run_on(server.url("kpis"))}
    finally:
        server.stop()


if __name__ == "__main__":
    print(run())
