"""Assignment passes run one at a time, on PostgreSQL as on SQLite.

Found by the side-by-side benchmark (bench/bench_vs_helpdesk.py): agents replying
at once on PostgreSQL made concurrent passes update the queue's positions in
different orders, and PostgreSQL broke the deadlocks by failing requests; two
concurrent passes could also hand one customer to two agents. A pass now holds a
lock to the end of its transaction (SQLite's single writer does the same).
"""

from __future__ import annotations

import threading

from tests.routing.conftest import Desk
from yiwen.routing.assignment import assign_waiting_work


def test_a_second_pass_waits_for_the_first_to_commit(desk: Desk) -> None:
    desk.waiting()
    first_holds = threading.Event()
    release = threading.Event()
    second_done = threading.Event()

    def first() -> None:
        with desk.database.transaction() as db:
            assign_waiting_work(db, desk.clock)
            first_holds.set()
            release.wait(timeout=30)

    def second() -> None:
        first_holds.wait(timeout=30)
        with desk.database.transaction() as db:
            assign_waiting_work(db, desk.clock)
        second_done.set()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    assert first_holds.wait(timeout=30)
    # While the first pass's transaction is open, the second cannot run.
    assert not second_done.wait(timeout=1.5)
    release.set()
    assert second_done.wait(timeout=30)
    for thread in threads:
        thread.join(timeout=30)
