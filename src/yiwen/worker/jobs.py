"""Periodic jobs: named functions run every so often, by one process at a time.

A job is ``"module:function"`` with an interval in seconds (the list lives in
``yiwen.wiring.PERIODIC_JOBS``); the function is called as
``fn(db, clock, store)`` inside a transaction of its own. A job marked with
:func:`own_transactions` is called as ``fn(database, clock, store)`` instead and
opens its own short transactions: one that waits on the network (an IMAP fetch,
a platform API) must not hold a transaction, which on SQLite is the one writer
lock every request needs. The schedule and the lease are rows
(:class:`yiwen.worker.models.JobLease`), so several worker processes agree on
who runs what and a restart resumes the schedule.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from yiwen.core.clock import Clock
from yiwen.core.db import Database
from yiwen.store.protocol import StoreConnector
from yiwen.worker.models import JobLease

log = logging.getLogger("yiwen.worker.jobs")

JobFunction = Callable[[Session, Clock, StoreConnector], object]
DatabaseJobFunction = Callable[[Database, Clock, StoreConnector], object]
_Job = TypeVar("_Job", bound=Callable[..., object])
OWN_TRANSACTIONS = "yiwen_job_own_transactions"
# A runner holds a job at least this long; a job longer than its lease may get a second runner.
MIN_LEASE_SECONDS = 120.0


def own_transactions(function: _Job) -> _Job:
    """Mark a job that takes the :class:`Database` and commits in short steps of its own."""
    setattr(function, OWN_TRANSACTIONS, True)
    return function


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    interval_seconds: float
    run: Callable[..., object]
    own_transactions: bool = False

    @property
    def lease_seconds(self) -> float:
        return max(MIN_LEASE_SECONDS, 2 * self.interval_seconds)


def load_jobs(entries: Sequence[tuple[str, float]]) -> list[PeriodicJob]:
    """Import each ``"module:function"``; a missing one is a configuration error, raised now."""
    jobs: list[PeriodicJob] = []
    for target, interval in entries:
        module_name, _, function_name = target.partition(":")
        function: Callable[..., object] = getattr(
            importlib.import_module(module_name), function_name
        )
        own = bool(getattr(function, OWN_TRANSACTIONS, False))
        jobs.append(PeriodicJob(target, float(interval), function, own_transactions=own))
    return jobs


def _claimable(now: datetime) -> ColumnElement[bool]:
    """A lease row whose job is due and held by nobody (or by a runner whose lease ran out)."""
    return and_(
        JobLease.next_run_at <= now,
        or_(JobLease.lease_until.is_(None), JobLease.lease_until <= now),
    )


def due_jobs(database: Database, clock: Clock, jobs: Sequence[PeriodicJob]) -> list[PeriodicJob]:
    """The jobs worth trying to claim now: never registered, or claimable.

    One read for the whole schedule, so an idle worker's round is one query, not a
    claiming transaction per job. The claim itself (:func:`claim_job`) still decides:
    another process may take a job between this read and the claim.
    """
    with database.reading() as db:
        rows = db.execute(
            select(JobLease.name, _claimable(clock.now())).where(
                JobLease.name.in_([job.name for job in jobs])
            )
        )
        claimable = {str(name): bool(free) for name, free in rows}
    return [job for job in jobs if claimable.get(job.name, True)]


def claim_job(database: Database, clock: Clock, job: PeriodicJob, holder: str) -> bool:
    """Take the job's lease if it is due and nobody holds it; True when the caller may run it."""
    with database.transaction() as db:
        now = clock.now()
        if db.get(JobLease, job.name) is None:
            try:
                with db.begin_nested():
                    db.add(JobLease(name=job.name, next_run_at=now))
                    db.flush()
            except IntegrityError:
                pass  # another process registered it first
        result = db.execute(
            update(JobLease)
            .where(JobLease.name == job.name, _claimable(now))
            .values(
                holder=holder,
                lease_until=now + timedelta(seconds=job.lease_seconds),
                last_started_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0) == 1)


def finish_job(
    database: Database, clock: Clock, job: PeriodicJob, holder: str, error: str | None
) -> None:
    """Release the lease and schedule the next run (only if the caller still holds it)."""
    with database.transaction() as db:
        now = clock.now()
        db.execute(
            update(JobLease)
            .where(JobLease.name == job.name, JobLease.holder == holder)
            .values(
                holder=None,
                lease_until=None,
                last_finished_at=now,
                last_error=error,
                next_run_at=now + timedelta(seconds=job.interval_seconds),
            )
            .execution_options(synchronize_session=False)
        )


def run_job_if_due(
    database: Database,
    clock: Clock,
    job: PeriodicJob,
    holder: str,
    store: Callable[[], StoreConnector],
) -> bool:
    """Run the job once if this process wins its lease; True when it ran.

    The job's own transaction commits or rolls back on its own (a job with
    :func:`own_transactions` commits what it finished): a failing job is
    logged, recorded on its lease row and tried again at the next interval.
    """
    if not claim_job(database, clock, job, holder):
        return False
    error: str | None = None
    try:
        if job.own_transactions:
            job.run(database, clock, store())
        else:
            with database.transaction() as db:
                job.run(db, clock, store())
    except Exception as exc:
        log.exception("periodic job %s failed", job.name)
        error = f"{type(exc).__name__}: {exc}"[:1000]
    finish_job(database, clock, job, holder, error)
    return True


def get_lease(database: Database, name: str) -> JobLease | None:
    """A job's schedule and lease as last committed (detached: safe to read after)."""
    with database.reading() as db:
        lease = db.scalar(select(JobLease).where(JobLease.name == name))
        db.expunge_all()
        return lease
