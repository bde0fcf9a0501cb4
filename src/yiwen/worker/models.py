"""The schedule and lease of each periodic job, shared by every worker process."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from yiwen.core.db import Base


class JobLease(Base):
    """One periodic job's schedule and the lease of the process running it.

    A process runs a job only after moving ``lease_until`` from the past into
    the future in one conditional UPDATE, so across processes at most one runs
    it at a time, and a runner that dies releases it when the lease expires.
    """

    __tablename__ = "worker_job_leases"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    next_run_at: Mapped[datetime]
    holder: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[datetime | None]
    last_started_at: Mapped[datetime | None]
    last_finished_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
