"""One SLA sweep over 100k open tickets on SQLite, a few hundred of them due (target < 1 s).

The clocks are bulk-inserted as the reactions would have left them: most with
their next check hours ahead, 200 at a warning, 100 past a deadline (breach,
escalation), 20 of those on the card-key policy (a coupon from the demo shop).
A second sweep right after measures the idle case (nothing due).
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from yiwen.core.clock import FixedClock
from yiwen.core.db import Database
from yiwen.core.ids import new_id
from yiwen.core.settings import Settings
from yiwen.customers.models import Customer
from yiwen.migrations import upgrade
from yiwen.sla.jobs import sweep_sla
from yiwen.sla.models import TicketSla
from yiwen.store.connectors.demo.connector import DemoStoreConnector
from yiwen.tickets.models import Ticket
from yiwen.wiring import import_models, install_reactions

OPEN_TICKETS = 100_000
WARNING_DUE = 200
BREACHED = 100
COMPENSATED = 20
DEFAULT_POLICY = "slapol0000000000000000000default"
CARD_POLICY = "slapol00000000000000cardinvalid"
ALWAYS = "slacal0000000000000000000000247"


def populate(database: Database, now: datetime) -> None:
    rng = random.Random(4)
    customers = [
        {"id": new_id(), "tier": "normal", "tags": [], "created_at": now, "updated_at": now}
        for _ in range(OPEN_TICKETS // 5)
    ]
    tickets, clocks = [], []
    for n in range(OPEN_TICKETS):
        ticket_id = new_id()
        card = n < COMPENSATED
        created = now - timedelta(minutes=rng.randrange(5, 600))
        if n < BREACHED:
            resolution_due = now - timedelta(minutes=rng.randrange(1, 30))
            next_check = resolution_due
        elif n < BREACHED + WARNING_DUE:
            resolution_due = now + timedelta(minutes=rng.randrange(10, 60))
            next_check = now - timedelta(seconds=rng.randrange(1, 50))
        else:
            resolution_due = now + timedelta(hours=rng.randrange(2, 24))
            next_check = resolution_due - timedelta(hours=1)
        tickets.append(
            {
                "id": ticket_id,
                "number": f"YWS{n:09d}",
                "customer_id": rng.choice(customers)["id"],
                "channel": "web",
                "category": "card_invalid" if card else "order_status",
                "priority": "normal",
                "urgent": False,
                "status": "open",
                "subject": "卡密没收到",
                "description": "",
                "key_info": {},
                "contact": f"139{n:08d}",
                "resolution_round": 0,
                "due_at": resolution_due,
                "created_at": created,
                "updated_at": created,
            }
        )
        clocks.append(
            {
                "ticket_id": ticket_id,
                "policy_id": CARD_POLICY if card else DEFAULT_POLICY,
                "calendar_id": ALWAYS,
                "first_response_target_s": 1800,
                "next_response_target_s": 7200,
                "resolution_target_s": 3600 if card else 86400,
                "resolution_due_at": resolution_due,
                "earliest_due_at": resolution_due,
                "next_check_at": next_check,
                "paused_seconds": 0,
                "warned": [],
                "breached": [],
                "updated_at": created,
            }
        )
    with database.engine.begin() as connection:
        for rows, model in ((customers, Customer), (tickets, Ticket), (clocks, TicketSla)):
            for start in range(0, len(rows), 5000):
                connection.execute(insert(model), rows[start : start + 5000])


def run() -> dict[str, float | int]:
    import_models()
    install_reactions()
    now = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    clock = FixedClock(now)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'yiwen.db'}"
        upgrade(url)
        database = Database(url)
        settings = Settings(data_dir=Path(tmp), database_url=url, secret_key="bench")
        database.context.update(clock=clock, settings=settings)
        populate(database, now)
        store = DemoStoreConnector.open(f"sqlite:///{Path(tmp) / 'shop.db'}", clock)
        try:
            t0 = time.perf_counter()
            with database.transaction() as db:
                result = sweep_sla(db, clock, store)
            busy = time.perf_counter() - t0
            t0 = time.perf_counter()
            with database.transaction() as db:
                idle_result = sweep_sla(db, clock, store)
            idle = time.perf_counter() - t0
        finally:
            store.close()
            database.dispose()
    return {
        "open tickets": OPEN_TICKETS,
        "clocks due": result.checked,
        "coupons issued": result.compensated,
        "sweep_s": round(busy, 3),
        "idle sweep (nothing due)_ms": round(idle * 1000, 2),
        "idle clocks checked": idle_result.checked,
    }


if __name__ == "__main__":
    print(run())
