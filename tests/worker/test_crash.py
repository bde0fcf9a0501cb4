"""A worker killed between commit and send loses no notification and sends none twice.

Real `yiwen worker` processes kill themselves with SIGKILL at a precise point
(``YIWEN_WORKER_CRASH_POINT``): after the claim is committed and before the
send, or after the send and before it is marked sent. A restarted worker picks
the row up once its claim expires. The receiver is a local HTTP peer that, like
any webhook receiver should, applies each event id once.
"""

from __future__ import annotations

import time

import pytest

from tests.notify.conftest import add_webhook, outbox_rows
from tests.notify.peers import HttpPeer
from tests.worker.support import finish, start_worker
from yiwen.core.clock import FixedClock
from yiwen.core.db import Database
from yiwen.core.events import emit
from yiwen.core.settings import Settings
from yiwen.worker.runner import CRASH_POINT_ENV

pytestmark = pytest.mark.slow


@pytest.fixture
def peer() -> HttpPeer:
    receiver = HttpPeer()
    receiver.start()
    yield receiver
    receiver.stop()


def queue_one_notification(database: Database, clock: FixedClock, peer: HttpPeer) -> str:
    add_webhook(database, clock, peer.url, secret=peer.secret, events=["ticket.resolved"])
    with database.transaction() as db:
        emit(db, "ticket.resolved", ticket_id="t1", conversation_id=None, agent_id=None)
    [entry] = outbox_rows(database)
    return entry.idempotency_key


@pytest.mark.parametrize(
    ("crash_point", "posts_before_restart", "posts_in_all"),
    [("after_claim", 0, 1), ("after_send", 1, 2)],
)
def test_a_notification_survives_a_killed_worker_and_is_applied_exactly_once(
    database: Database,
    clock: FixedClock,
    settings: Settings,
    peer: HttpPeer,
    crash_point: str,
    posts_before_restart: int,
    posts_in_all: int,
) -> None:
    key = queue_one_notification(database, clock, peer)

    code, _ = finish(start_worker(settings, **{CRASH_POINT_ENV: crash_point}))
    assert code == -9  # killed, not exited
    assert len(peer.received) == posts_before_restart
    [entry] = outbox_rows(database)
    assert (entry.status, entry.attempts) == ("sending", 1)

    time.sleep(1.2)  # the killed worker's claim expires
    code, figures = finish(start_worker(settings))
    assert code == 0 and figures["sent"] == 1

    assert peer.seen[key] == posts_in_all
    assert peer.applied == [key]
    [entry] = outbox_rows(database)
    assert (entry.status, entry.attempts) == ("sent", 2)


def test_a_claimed_row_is_not_taken_again_before_its_claim_expires(
    database: Database, clock: FixedClock, settings: Settings, peer: HttpPeer
) -> None:
    queue_one_notification(database, clock, peer)
    finish(
        start_worker(
            settings, **{CRASH_POINT_ENV: "after_claim", "YIWEN_WORKER_CLAIM_SECONDS": "300"}
        )
    )
    code, figures = finish(start_worker(settings))
    assert code == 0 and figures["sent"] == 0
    assert peer.received == []
