"""Assignment passes run one at a time, on PostgreSQL as on SQLite.

Found by the side-by-side benchmark (bench/bench_vs_helpdesk.py): agents replying
at once on PostgreSQL made concurrent passes update the queue's positions in
different orders, and PostgreSQL broke the deadlocks by failing requests; two
concurrent passes could also hand one customer to two agents. A pass now holds a
lock to the end of its transaction; the pass at the end of a request does not
wait for it (it skips), and the periodic pass assigns what was left.
"""

from __future__ import annotations

import threading

import pytest

from tests.routing.conftest import Desk
from yiwen.conversations.models import Conversation
from yiwen.routing.assignment import assign_waiting_work
from yiwen.routing.jobs import drain_waiting_work


def test_a_pass_waits_for_the_running_one_and_a_request_skips_it(desk: Desk) -> None:
    if desk.database.dialect != "postgresql":
        pytest.skip("SQLite runs one writing transaction at a time: nothing to wait for")
    first_holds, release = threading.Event(), threading.Event()
    waiting_pass_done = threading.Event()

    def first() -> None:
        with desk.database.transaction() as db:
            assign_waiting_work(db, desk.clock)
            first_holds.set()
            release.wait(timeout=30)

    def periodic() -> None:
        with desk.database.transaction() as db:
            drain_waiting_work(db, desk.clock, None)  # type: ignore[arg-type]
        waiting_pass_done.set()

    holder = threading.Thread(target=first)
    holder.start()
    assert first_holds.wait(timeout=30)
    # A request's own pass does not wait: the customer arriving now is stored at
    # once (no deadlock possible) and stays waiting, though an agent is free.
    desk.agent(capacity=3)
    work = desk.waiting()
    with desk.database.reading() as db:
        assert db.get_one(Conversation, work.conversation_id).assignee_id is None
    # The periodic pass waits for the running one, then assigns the customer.
    job = threading.Thread(target=periodic)
    job.start()
    assert not waiting_pass_done.wait(timeout=1.5)
    release.set()
    assert waiting_pass_done.wait(timeout=30)
    holder.join(timeout=30)
    job.join(timeout=30)
    with desk.database.reading() as db:
        assert db.get_one(Conversation, work.conversation_id).assignee_id is not None
