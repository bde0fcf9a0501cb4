"""Public ticket numbers: ``YW20261122-000123``, counted per Shanghai calendar day.

The counter row is bumped with one upsert, so two processes never hand out
the same number and a number is never reused after a rollback of its day row.
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
    value = db.execute(statement).scalar_one()
    return f"{prefix}{day}-{value:06d}"
