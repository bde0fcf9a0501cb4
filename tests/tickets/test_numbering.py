"""Ticket numbers: YW + Shanghai date + a per-day sequence that never repeats."""

from __future__ import annotations

from datetime import timedelta

from yiwen.core.clock import FixedClock
from yiwen.core.db import Database
from yiwen.tickets.numbering import next_ticket_number


def test_numbers_count_up_per_shanghai_day_and_restart_the_next_day(
    database: Database, clock: FixedClock
) -> None:
    with database.transaction() as db:
        first = next_ticket_number(db, clock, "YW")
        second = next_ticket_number(db, clock, "YW")
    # 2026-11-22 10:00 in Shanghai; 15:59 UTC is still the 22nd there, 16:00 UTC is the 23rd.
    clock.advance(timedelta(hours=13, minutes=59))
    with database.transaction() as db:
        late = next_ticket_number(db, clock, "YW")
    clock.advance(timedelta(minutes=1))
    with database.transaction() as db:
        next_day = next_ticket_number(db, clock, "YW")
    assert (first, second, late) == ("YW20261122-000001", "YW20261122-000002", "YW20261122-000003")
    assert next_day == "YW20261123-000001"


def test_a_rolled_back_number_is_not_handed_out_twice_after_commit(
    database: Database, clock: FixedClock
) -> None:
    try:
        with database.transaction() as db:
            next_ticket_number(db, clock, "YW")
            raise RuntimeError("the action failed")
    except RuntimeError:
        pass
    with database.transaction() as db:
        a = next_ticket_number(db, clock, "YW")
    with database.transaction() as db:
        b = next_ticket_number(db, clock, "YW")
    assert a != b
