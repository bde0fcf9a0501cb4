"""Assignment decisions per second with 200 agents online and a realistic waiting queue (SQLite).

Three figures:
- decisions only: the snapshot of the 200 agents read once, then the choice made for
  every waiting item in serving order (no writes), as a pass does before it writes;
- a full pass: the same choices written (conversation + ticket assigned, timeline,
  audit, events, and the positions of those still waiting), committed;
- one handoff: a new conversation with its ticket becoming waiting and being assigned
  in its own transaction, as production does per event (p50 / p95 latency).
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select, update

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import percentile
from yiwen.auth.audit import Actor
from yiwen.auth.models import StaffUser
from yiwen.conversations.models import Conversation
from yiwen.conversations.service import start_conversation
from yiwen.core.clock import FixedClock
from yiwen.core.db import Database
from yiwen.core.ids import new_id
from yiwen.core.settings import Settings
from yiwen.customers.models import Customer
from yiwen.migrations import upgrade
from yiwen.routing.models import AgentProfile, QueueEntry
from yiwen.routing.pool import AgentPool, previous_agents
from yiwen.routing.waiting import load_waiting, request_drain
from yiwen.tickets.models import Ticket
from yiwen.tickets.service import NewTicket, open_ticket
from yiwen.wiring import install_reactions

AGENTS = 200
CAPACITY = 5
WAITING = 1000
HELD_PER_AGENT = 3  # 600 of the 1000 seats are taken when the pass starts
HANDOFFS = 200
DEPARTMENTS = ("general", "general", "general", "tech", "finance", "supplier_liaison", "security")
CATEGORIES = (
    ("delivery_missing", "general_l1"),
    ("card_invalid", "supplier_liaison_l1"),
    ("refund_request", "finance_l1"),
    ("how_to_use", "general_l1"),
    ("account_security", "security_l1"),
    ("complaint", "general_l2"),
)


def populate(database: Database, now: datetime) -> None:
    rng = random.Random(4)
    staff, profiles, customers, conversations, tickets, entries = [], [], [], [], [], []
    for n in range(AGENTS):
        agent_id = new_id()
        staff.append(
            {
                "id": agent_id,
                "username": f"agent{n}",
                "display_name": f"客服{n}",
                "role": "agent_l2" if n % 4 == 0 else "agent_l1",
                "password_hash": "-",
                "is_active": True,
                "created_at": now,
                "password_changed_at": now,
            }
        )
        profiles.append(
            {
                "agent_id": agent_id,
                "skills": sorted({"general", DEPARTMENTS[n % len(DEPARTMENTS)]}),
                "tier": "L2" if n % 4 == 0 else "L1",
                "presence": "online",
                "capacity": CAPACITY,
                "hourly_cap": None,
                "presence_changed_at": now,
                "updated_at": now,
            }
        )
        for _ in range(HELD_PER_AGENT):
            customer_id = new_id()
            customers.append(_customer(customer_id, now))
            conversations.append(_conversation(customer_id, now, agent_id, "open"))

    for n in range(WAITING):
        customer_id = new_id()
        customers.append(_customer(customer_id, now, vip=rng.random() < 0.05))
        conversation = _conversation(customer_id, now, None, "waiting")
        conversations.append(conversation)
        category, queue = CATEGORIES[rng.randrange(len(CATEGORIES))]
        created = now - timedelta(seconds=rng.randrange(3600))
        ticket = {
            "id": new_id(),
            "number": f"YWR{n:08d}",
            "customer_id": customer_id,
            "conversation_id": conversation["id"],
            "channel": "web",
            "category": category,
            "priority": "urgent" if rng.random() < 0.05 else "high",
            "urgent": False,
            "status": "new",
            "subject": "卡密没收到",
            "description": "",
            "key_info": {},
            "queue": queue,
            "first_response_due_at": created + timedelta(minutes=30),
            "due_at": created + timedelta(hours=rng.choice((1, 24))),
            "resolution_round": 0,
            "created_at": created,
            "updated_at": created,
        }
        tickets.append(ticket)
        entries.append(
            {
                "id": new_id(),
                "queue_key": queue,
                "conversation_id": conversation["id"],
                "ticket_id": ticket["id"],
                "customer_id": customer_id,
                "reason": "handoff",
                "state": "waiting",
                "enqueued_at": created,
            }
        )
    with database.engine.begin() as connection:
        connection.execute(insert(StaffUser), staff)
        connection.execute(insert(AgentProfile), profiles)
        connection.execute(insert(Customer), customers)
        connection.execute(insert(Conversation), conversations)
        connection.execute(insert(Ticket), tickets)
        connection.execute(insert(QueueEntry), entries)


def _customer(customer_id: str, now: datetime, *, vip: bool = False) -> dict[str, object]:
    tier = "vip" if vip else "normal"
    return {"id": customer_id, "tier": tier, "tags": [], "created_at": now, "updated_at": now}


def _conversation(
    customer_id: str, now: datetime, assignee: str | None, status: str
) -> dict[str, object]:
    return {
        "id": new_id(),
        "customer_id": customer_id,
        "channel": "web",
        "status": status,
        "assignee_id": assignee,
        "last_message_at": now,
        "created_at": now,
        "updated_at": now,
    }


def decisions_only(database: Database, now: datetime) -> dict[str, float]:
    with database.reading() as db:
        t0 = time.perf_counter()
        waiting, _ = load_waiting(db)
        pool = AgentPool.load(db, now)
        previous = previous_agents(db, [i.customer_id for i in waiting], now)
        loaded = time.perf_counter()
        picked = 0
        for item in waiting:
            choice = pool.pick(item, previous.get(item.customer_id))
            if choice is not None:
                pool.note_assigned(choice[0], now)
                picked += 1
        done = time.perf_counter()
    return {
        "waiting": len(waiting),
        "assigned": picked,
        "snapshot_ms": round((loaded - t0) * 1000, 1),
        "decisions_per_s": round(len(waiting) / (done - loaded)),
        "decisions_per_s_incl_snapshot": round(len(waiting) / (done - t0)),
    }


def full_pass(database: Database, clock: FixedClock) -> dict[str, float]:
    t0 = time.perf_counter()
    with database.transaction() as db:
        before = db.scalar(select(func.count()).where(QueueEntry.state == "assigned"))
        request_drain(db)  # the pass runs as the transaction commits, as in production
    elapsed = time.perf_counter() - t0
    with database.reading() as db:
        assigned = db.scalar(select(func.count()).where(QueueEntry.state == "assigned")) - before
    return {
        "assigned": assigned,
        "seconds": round(elapsed, 3),
        "assignments_per_s": round(assigned / elapsed),
    }


def handoffs(database: Database, clock: FixedClock) -> dict[str, float]:
    """New work arriving one transaction at a time; the pool has room again by now."""
    with database.transaction() as db:
        db.execute(update(AgentProfile).values(capacity=50))
    latencies = []
    for n in range(HANDOFFS):
        clock.advance(timedelta(seconds=5))
        t0 = time.perf_counter()
        with database.transaction() as db:
            customer = Customer(
                tier="normal", tags=[], created_at=clock.now(), updated_at=clock.now()
            )
            db.add(customer)
            db.flush()
            conversation, _ = start_conversation(db, clock, customer, channel="web")
            open_ticket(
                db,
                clock,
                NewTicket(
                    customer_id=customer.id,
                    channel="web",
                    category=CATEGORIES[n % len(CATEGORIES)][0],
                    subject="卡密没收到",
                    conversation_id=conversation.id,
                ),
                actor=Actor.customer(customer.id),
                prefix="YWH",
            )
        latencies.append(time.perf_counter() - t0)
    return {
        "p50_ms": round(percentile(latencies, 0.5) * 1000, 1),
        "p95_ms": round(percentile(latencies, 0.95) * 1000, 1),
        "decisions_per_s": round(len(latencies) / sum(latencies)),
    }


def run() -> dict[str, dict[str, float]]:
    install_reactions()
    clock = FixedClock(datetime(2026, 11, 22, 2, 0, tzinfo=UTC))
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'yiwen.db'}"
        upgrade(url)
        database = Database(url)
        database.context.update(
            clock=clock, settings=Settings(data_dir=Path(tmp), bot_enabled=False)
        )
        populate(database, clock.now())
        results = {
            f"decisions only ({AGENTS} agents, {WAITING} waiting)": decisions_only(
                database, clock.now()
            ),
            f"full pass, committed ({AGENTS} agents, {WAITING} waiting)": full_pass(
                database, clock
            ),
            f"one handoff per transaction ({HANDOFFS} in a row)": handoffs(database, clock),
        }
        database.dispose()
    return results


if __name__ == "__main__":
    print(run())
