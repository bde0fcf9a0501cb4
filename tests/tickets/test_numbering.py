"""Ticket numbers: YW + Shanghai date + a per-day sequence that never repeats."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

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


def test_a_long_transaction_does_not_hold_up_the_next_ticket_number(
    database: Database, clock: FixedClock
) -> None:
    """On PostgreSQL the day's counter is bumped in a transaction of its own: a ticket
    whose transaction is still open (a bot handoff waiting on the shop) must not make
    the next ticket wait for its day row. SQLite has one writer at a time by design."""
    if database.dialect != "postgresql":
        pytest.skip("SQLite serialises writers; the counter stays in the caller's transaction")
    holding = threading.Event()
    release = threading.Event()
    numbers: list[str] = []

    def long_handoff() -> None:
        with database.transaction() as db:
            numbers.append(next_ticket_number(db, clock, "YW"))
            holding.set()
            release.wait(30)

    first = threading.Thread(target=long_handoff)
    first.start()
    try:
        assert holding.wait(30)
        second: list[str] = []
        other = threading.Thread(
            target=lambda: second.append(_number_in_own_transaction(database, clock))
        )
        other.start()
        other.join(20)
        assert second, "the second ticket waited for the first one's transaction"
        assert second[0] != numbers[0]
    finally:
        release.set()
        first.join(30)


def _number_in_own_transaction(database: Database, clock: FixedClock) -> str:
    with database.transaction() as db:
        return next_ticket_number(db, clock, "YW")
