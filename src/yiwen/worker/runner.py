"""The worker loop: deliver due outbox rows, run due periodic jobs, sleep, repeat.

It runs as ``yiwen worker`` (any number of processes) or as a thread inside
``yiwen serve`` (``worker_embedded``, the default). Everything it knows is in
the database, so stopping it at any instant loses nothing: a claimed row comes
back when its claim expires, a job's lease expires the same way.
"""

from __future__ import annotations

import logging
import os
import random
import signal
import socket
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from yiwen.core.clock import Clock
from yiwen.core.db import Database
from yiwen.core.settings import Settings
from yiwen.notify import outbox
from yiwen.notify.protocol import Delivery, Notifier, PermanentError, RetriableError
from yiwen.store.protocol import StoreConnector
from yiwen.worker.jobs import PeriodicJob, due_jobs, run_job_if_due

log = logging.getLogger("yiwen.worker")

# Fault injection for the crash tests (tests/worker/test_crash.py): the process
# kills itself with SIGKILL at this point of a delivery, exactly as a power cut would.
CRASH_POINT_ENV = "YIWEN_WORKER_CRASH_POINT"
CRASH_POINTS = ("after_claim", "after_send")


@dataclass
class WorkerStats:
    sent: int = 0
    retried: int = 0
    dead: int = 0
    jobs_run: int = 0


class Worker:
    def __init__(
        self,
        database: Database,
        clock: Clock,
        settings: Settings,
        notifiers: Mapping[str, Notifier],
        jobs: Sequence[PeriodicJob] = (),
        *,
        store: Callable[[], StoreConnector] | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.database = database
        self.clock = clock
        self.settings = settings
        self.notifiers = dict(notifiers)
        self.jobs = list(jobs)
        self.store = store or _no_store
        self.rng = rng or random.Random()
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.stats = WorkerStats()
        self._crash_point = os.environ.get(CRASH_POINT_ENV, "")

    def deliver_due(self) -> int:
        """Claim one batch of due rows and try each; returns how many were claimed."""
        with self.database.transaction() as db:
            claimed = outbox.claim_due(
                db,
                self.clock,
                limit=self.settings.worker_batch_size,
                claim_seconds=self.settings.worker_claim_seconds,
            )
        for delivery in claimed:
            self._crash_if("after_claim")
            self._deliver_one(delivery)
        return len(claimed)

    def _deliver_one(self, delivery: Delivery) -> None:
        notifier = self.notifiers.get(delivery.kind)
        retry_in: float | None
        try:
            if notifier is None:
                raise PermanentError(f"no notifier for kind {delivery.kind!r}")
            notifier.deliver(delivery)
        except RetriableError as exc:
            retry_in = exc.delay if exc.delay is not None else self._backoff(delivery.attempt)
            self._settle_failure(delivery, exc.reason, retry_in)
            return
        except PermanentError as exc:
            self._settle_failure(delivery, exc.reason, None)
            return
        except Exception as exc:  # a notifier bug must not lose the delivery: retry it
            log.exception("notifier %s failed on %s", delivery.kind, delivery.id)
            self._settle_failure(
                delivery, f"{type(exc).__name__}: {exc}", self._backoff(delivery.attempt)
            )
            return
        self._crash_if("after_send")
        with self.database.transaction() as db:
            outbox.mark_sent(db, self.clock, delivery.id)
        self.stats.sent += 1

    def _settle_failure(self, delivery: Delivery, reason: str, retry_in: float | None) -> None:
        with self.database.transaction() as db:
            status = outbox.mark_failed(
                db,
                self.clock,
                delivery.id,
                reason=reason,
                retry_in=retry_in,
                max_attempts=self.settings.notify_max_attempts,
            )
        if status == "dead":
            self.stats.dead += 1
            log.warning("delivery %s (%s) dead: %s", delivery.id, delivery.kind, reason)
        else:
            self.stats.retried += 1
            log.info(
                "delivery %s (%s) retry in %.0fs: %s",
                delivery.id,
                delivery.kind,
                retry_in or 0,
                reason,
            )

    def _backoff(self, attempt: int) -> float:
        return outbox.backoff_seconds(
            attempt,
            base=self.settings.notify_backoff_base_seconds,
            cap=self.settings.notify_backoff_max_seconds,
            rng=self.rng,
        )

    def run_due_jobs(self) -> int:
        ran = 0
        for job in due_jobs(self.database, self.clock, self.jobs):
            if run_job_if_due(self.database, self.clock, job, self.holder, self.store):
                ran += 1
        self.stats.jobs_run += ran
        return ran

    def tick(self) -> int:
        """One round: the due jobs, then deliveries until a batch comes back short."""
        self.run_due_jobs()
        total = 0
        while True:
            claimed = self.deliver_due()
            total += claimed
            if claimed < self.settings.worker_batch_size:
                return total

    def run_until_idle(self) -> WorkerStats:
        """Work until nothing is due (one-shot runs and tests)."""
        self.tick()
        return self.stats

    def run_forever(self, stop: threading.Event) -> None:
        log.info("worker %s started (%d periodic jobs)", self.holder, len(self.jobs))
        while not stop.is_set():
            try:
                self.tick()
            except Exception:  # the database was away; try again after the pause
                log.exception("worker round failed")
            stop.wait(self.settings.worker_poll_seconds)
        log.info("worker %s stopped", self.holder)

    def _crash_if(self, point: str) -> None:
        if self._crash_point == point:
            log.warning("crash point %s reached: killing the process", point)
            os.kill(os.getpid(), signal.SIGKILL)
            time.sleep(10)  # SIGKILL is asynchronous; never run past the crash point


def _no_store() -> StoreConnector:
    raise RuntimeError("this worker was started without a store connector")


class EmbeddedWorker:
    """The worker as a daemon thread of the web process (``worker_embedded``)."""

    def __init__(self, worker: Worker) -> None:
        self.worker = worker
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=worker.run_forever, args=(self._stop,), name="yiwen-worker", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._thread.join(timeout)
