"""Periodic jobs run on schedule, by one runner at a time, each in its own transaction."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from yiwen.core.clock import Clock, FixedClock
from yiwen.core.db import Database
from yiwen.notify.models import OutboxEntry
from yiwen.notify.outbox import enqueue
from yiwen.store.connectors.demo.connector import DemoStoreConnector
from yiwen.store.protocol import StoreConnector
from yiwen.worker.jobs import (
    PeriodicJob,
    claim_job,
    due_jobs,
    finish_job,
    get_lease,
    run_job_if_due,
)


class Recorder:
    """A job that writes a row each time it runs, so a rolled-back run leaves no trace."""

    def __init__(self, fail: bool = False) -> None:
        self.runs = 0
        self.fail = fail

    def __call__(self, db: Session, clock: Clock, store: StoreConnector) -> None:
        self.runs += 1
        enqueue(
            db,
            clock,
            key=f"job-run-{self.runs}",
            kind="sms",
            event="job",
            recipient="13800138000",
            payload={},
        )
        if self.fail:
            raise RuntimeError("the sweep broke")


def test_a_job_runs_when_due_and_then_waits_for_its_interval(
    database: Database, clock: FixedClock, demo: DemoStoreConnector
) -> None:
    recorder = Recorder()
    job = PeriodicJob("tests:sweep", 30, recorder)
    shop = lambda: demo  # noqa: E731
    assert run_job_if_due(database, clock, job, "worker-a", shop)
    assert not run_job_if_due(database, clock, job, "worker-b", shop)
    clock.advance(timedelta(seconds=29))
    assert not run_job_if_due(database, clock, job, "worker-a", shop)
    clock.advance(timedelta(seconds=1))
    assert run_job_if_due(database, clock, job, "worker-b", shop)
    assert recorder.runs == 2
    lease = get_lease(database, "tests:sweep")
    assert lease is not None
    assert (lease.holder, lease.lease_until, lease.last_error) == (None, None, None)
    assert lease.next_run_at == clock.now() + timedelta(seconds=30)


def test_while_one_runner_holds_the_lease_no_other_may_start(
    database: Database, clock: FixedClock
) -> None:
    job = PeriodicJob("tests:sweep", 30, Recorder())
    assert claim_job(database, clock, job, "worker-a")
    assert not claim_job(database, clock, job, "worker-b")
    clock.advance(timedelta(seconds=60))  # due again, but worker-a still holds it
    assert not claim_job(database, clock, job, "worker-b")
    finish_job(database, clock, job, "worker-a", None)
    clock.advance(timedelta(seconds=30))
    assert claim_job(database, clock, job, "worker-b")


def test_one_read_tells_which_jobs_are_worth_claiming(
    database: Database, clock: FixedClock
) -> None:
    """An idle worker's round reads the schedule once instead of a claim per job; what it
    picks is exactly what a claim would grant."""
    sweep, report, fresh = (
        PeriodicJob("tests:sweep", 30, Recorder()),
        PeriodicJob("tests:report", 300, Recorder()),
        PeriodicJob("tests:fresh", 60, Recorder()),
    )
    assert claim_job(database, clock, sweep, "worker-a")  # held now
    assert claim_job(database, clock, report, "worker-a")
    finish_job(database, clock, report, "worker-a", None)  # next run in 300 s

    def names() -> list[str]:
        return [job.name for job in due_jobs(database, clock, [sweep, report, fresh])]

    assert names() == ["tests:fresh"]  # never registered: its first claim registers it
    finish_job(database, clock, sweep, "worker-a", None)
    clock.advance(timedelta(seconds=30))
    assert names() == ["tests:sweep", "tests:fresh"]
    clock.advance(timedelta(seconds=270))
    assert names() == ["tests:sweep", "tests:report", "tests:fresh"]
    for job in (sweep, report, fresh):
        assert claim_job(database, clock, job, "worker-b")
    assert names() == []


def test_a_runner_that_died_releases_the_job_when_its_lease_expires(
    database: Database, clock: FixedClock
) -> None:
    job = PeriodicJob("tests:sweep", 30, Recorder())
    assert claim_job(database, clock, job, "worker-that-dies")
    clock.advance(timedelta(seconds=job.lease_seconds - 1))
    assert not claim_job(database, clock, job, "worker-b")
    clock.advance(timedelta(seconds=1))
    assert claim_job(database, clock, job, "worker-b")
    # The dead runner's late finish does not disturb the new holder's lease.
    finish_job(database, clock, job, "worker-that-dies", None)
    lease = get_lease(database, "tests:sweep")
    assert lease is not None and lease.holder == "worker-b"


def test_a_failing_job_rolls_back_its_writes_and_is_tried_at_the_next_interval(
    database: Database, clock: FixedClock, demo: DemoStoreConnector
) -> None:
    shop = lambda: demo  # noqa: E731
    recorder = Recorder(fail=True)
    job = PeriodicJob("tests:broken", 30, recorder)
    assert run_job_if_due(database, clock, job, "worker-a", shop)
    with database.reading() as db:
        assert db.scalar(select(OutboxEntry.id)) is None
    lease = get_lease(database, "tests:broken")
    assert lease is not None
    assert lease.last_error == "RuntimeError: the sweep broke"
    assert lease.next_run_at == clock.now() + timedelta(seconds=30)
    clock.advance(timedelta(seconds=30))
    assert run_job_if_due(database, clock, job, "worker-a", shop)
    assert recorder.runs == 2
