"""Public ticket numbers: ``YW20261122-000123``, counted per Shanghai calendar day.

The counter row is bumped with one upsert, so two processes never hand out
the same number. On PostgreSQL the bump commits at once on a connection of its
own: the day's row is one row for every ticket of the day, and holding its lock
to the end of a long transaction (a bot handoff that looked the order up first)
queued every other ticket behind it (issue 9's load test). A ticket whose
transaction then rolls back leaves a gap in the day's numbers, never a number
used twice. SQLite has one writer at a time anyway, so there the bump stays in
the caller's transaction.
"""

from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from yiwen.core.clock import Clock, to_local
from yiwen.tickets.models import TicketCounter


def next_ticket_number(db: Session, clock: Clock, prefix: str) -> str:
    day = to_local(clock.now()).strftime("%Y%m%d")
    dialect = db.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(TicketCounter)
        .values(day=day, value=1)
        .on_conflict_do_update(
            index_elements=[TicketCounter.day], set_={"value": TicketCounter.value + 1}
        )
        .returning(TicketCounter.value)
    )
    if dialect == "postgresql":
        with db.get_bind().engine.connect() as connection:
            value = connection.execute(statement).scalar_one()
            connection.commit()
    else:
        value = db.execute(statement).scalar_one()
    return f"{prefix}{day}-{value:06d}"
