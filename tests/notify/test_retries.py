"""Retries with exponential backoff and jitter, dead letters, and manual retry (injected clock)."""

from __future__ import annotations

import random
from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from tests.notify.conftest import add_webhook, make_worker, outbox_rows
from tests.notify.peers import HttpPeer
from yiwen.auth.audit import Actor
from yiwen.core.clock import FixedClock
from yiwen.core.db import Database
from yiwen.core.events import emit
from yiwen.core.settings import Settings
from yiwen.notify.outbox import backoff_seconds, retry_entry


def queue_one_event(database: Database, clock: FixedClock, peer: HttpPeer) -> None:
    add_webhook(database, clock, peer.url, secret=peer.secret, events=["ticket.rated"])
    with database.transaction() as db:
        emit(db, "ticket.rated", ticket_id="t1", score=5, agent_id=None)


def test_a_5xx_is_retried_after_a_growing_jittered_delay_then_sent(
    database: Database, clock: FixedClock, settings: Settings, webhook_peer: HttpPeer
) -> None:
    queue_one_event(database, clock, webhook_peer)
    webhook_peer.statuses.extend([503, 502])
    worker = make_worker(database, settings, clock, notify_backoff_base_seconds=10)
    worker.run_until_idle()
    [entry] = outbox_rows(database)
    assert (entry.status, entry.attempts, entry.last_error) == ("failed", 1, "HTTP 503")
    first_delay = (entry.next_attempt_at - clock.now()).total_seconds()
    assert 5 <= first_delay <= 10

    worker.run_until_idle()  # not due yet: nothing is sent
    assert len(webhook_peer.received) == 1

    clock.advance(timedelta(seconds=first_delay))
    worker.run_until_idle()
    [entry] = outbox_rows(database)
    assert (entry.status, entry.attempts) == ("failed", 2)
    assert 10 <= (entry.next_attempt_at - clock.now()).total_seconds() <= 20

    clock.advance(timedelta(seconds=20))
    worker.run_until_idle()
    [entry] = outbox_rows(database)
    assert (entry.status, entry.attempts, entry.last_error) == ("sent", 3, None)
    assert webhook_peer.applied == [entry.idempotency_key]


def test_retry_after_from_the_receiver_sets_the_next_attempt(
    database: Database, clock: FixedClock, settings: Settings, webhook_peer: HttpPeer
) -> None:
    queue_one_event(database, clock, webhook_peer)
    webhook_peer.statuses.append(429)
    webhook_peer.retry_after = "120"
    make_worker(database, settings, clock).run_until_idle()
    [entry] = outbox_rows(database)
    assert (entry.status, entry.last_error) == ("failed", "HTTP 429")
    assert entry.next_attempt_at == clock.now() + timedelta(seconds=120)


def test_after_the_last_attempt_the_delivery_is_dead_and_can_be_retried_by_hand(
    database: Database, clock: FixedClock, settings: Settings, webhook_peer: HttpPeer
) -> None:
    queue_one_event(database, clock, webhook_peer)
    webhook_peer.statuses.extend([500, 500, 500])
    worker = make_worker(database, settings, clock, notify_max_attempts=3)
    for _ in range(3):
        worker.run_until_idle()
        clock.advance(timedelta(hours=1))
    [entry] = outbox_rows(database)
    assert (entry.status, entry.attempts) == ("dead", 3)
    worker.run_until_idle()
    assert len(webhook_peer.received) == 3  # dead letters are left alone

    with database.transaction() as db:
        retry_entry(db, clock, entry.id, actor=Actor.system())
    worker.run_until_idle()
    [entry] = outbox_rows(database)
    assert (entry.status, entry.attempts) == ("sent", 1)
    assert webhook_peer.applied == [entry.idempotency_key]


def test_a_4xx_is_permanent_and_dead_letters_at_once(
    database: Database, clock: FixedClock, settings: Settings, webhook_peer: HttpPeer
) -> None:
    queue_one_event(database, clock, webhook_peer)
    webhook_peer.statuses.append(404)
    make_worker(database, settings, clock).run_until_idle()
    [entry] = outbox_rows(database)
    assert (entry.status, entry.attempts, entry.last_error) == ("dead", 1, "HTTP 404")


def test_an_unreachable_receiver_is_retried(
    database: Database, clock: FixedClock, settings: Settings
) -> None:
    add_webhook(database, clock, "http://127.0.0.1:9/hook", secret="x" * 20, events=[])
    with database.transaction() as db:
        emit(db, "ticket.reopened", ticket_id="t1")
    make_worker(database, settings, clock).run_until_idle()
    [entry] = outbox_rows(database)
    assert entry.status == "failed"
    assert "ConnectError" in (entry.last_error or "")


@given(attempts=st.integers(1, 10_000), seed=st.integers(0, 2**32))
def test_backoff_doubles_within_jitter_and_never_passes_the_cap(attempts: int, seed: int) -> None:
    delay = backoff_seconds(attempts, base=10, cap=3600, rng=random.Random(seed))
    step = min(3600, 10 * 2 ** min(attempts - 1, 60))
    assert step / 2 <= delay <= step
