"""Two worker processes share the outbox on PostgreSQL and never send a row twice."""

from __future__ import annotations

import pytest

from tests.notify.conftest import add_webhook, outbox_rows
from tests.notify.peers import HttpPeer
from tests.worker.support import finish, start_worker
from yiwen.core.clock import FixedClock
from yiwen.core.db import Database
from yiwen.core.settings import Settings
from yiwen.notify.outbox import enqueue

pytestmark = pytest.mark.slow
ROWS = 150


@pytest.fixture
def peer() -> HttpPeer:
    receiver = HttpPeer()
    receiver.start()
    yield receiver
    receiver.stop()


def test_two_workers_share_the_rows_with_skip_locked_and_send_each_once(
    database: Database, clock: FixedClock, settings: Settings, peer: HttpPeer
) -> None:
    if database.dialect != "postgresql":
        pytest.skip("SKIP LOCKED sharing is PostgreSQL's; SQLite has a single writer")
    endpoint = add_webhook(database, clock, peer.url, secret=peer.secret, events=[])
    with database.transaction() as db:
        for number in range(ROWS):
            enqueue(
                db,
                clock,
                key=f"shared-{number}",
                kind="webhook",
                event="ticket.rated",
                recipient=endpoint,
                payload={"id": number},
            )
    peer.delay = 0.005  # a receiver that takes a moment, so both workers are busy together
    extra = {"YIWEN_WORKER_BATCH_SIZE": "5", "YIWEN_WORKER_CLAIM_SECONDS": "120"}
    workers = [start_worker(settings, **extra), start_worker(settings, **extra)]
    results = [finish(process, timeout=60) for process in workers]

    sent = [int(figures["sent"]) for _, figures in results]  # type: ignore[call-overload]
    assert sum(sent) == ROWS
    assert all(count > 0 for count in sent), sent
    assert len(peer.received) == ROWS
    assert max(peer.seen.values()) == 1
    assert sorted(peer.applied) == sorted(f"shared-{number}" for number in range(ROWS))
    assert {row.status for row in outbox_rows(database)} == {"sent"}
