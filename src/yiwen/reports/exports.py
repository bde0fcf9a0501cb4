"""Exports of tickets, conversations and KPIs: checked, audited, then streamed.

The checks (filters, who may see what) and the audit entry happen before the
first byte goes out, so a refused export is a 4xx JSON answer and every export
that starts is on record with who asked for what. The rows are read afterwards,
in their own read-only session, batch by batch.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

from sqlalchemy.orm import Session

from yiwen.analytics.kpis import compute_kpis
from yiwen.auth.audit import Actor, record_audit
from yiwen.auth.models import StaffUser
from yiwen.core.clock import Clock
from yiwen.core.db import Database
from yiwen.reports.columns import Table
from yiwen.reports.datasets import conversation_table, kpi_table, ticket_table
from yiwen.reports.filters import Dataset, ExportFilter
from yiwen.reports.writers import csv_chunks, xlsx_chunks

Format = Literal["csv", "xlsx"]
MEDIA_TYPES: dict[Format, str] = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass(frozen=True)
class Export:
    filename: str
    media_type: str
    chunks: Iterator[bytes]


def start_export(
    db: Session,
    database: Database,
    clock: Clock,
    viewer: StaffUser,
    *,
    dataset: Dataset,
    fmt: Format,
    where: ExportFilter,
    tmp_dir: Path | None = None,
    ip: str | None = None,
) -> Export:
    """Record the export in ``db`` (the caller commits it) and return its lazy byte stream."""
    record_audit(
        db,
        clock,
        actor=Actor.staff(viewer),
        action="report.export",
        target_type="export",
        target_id=f"{dataset}.{fmt}",
        after={"dataset": dataset, "format": fmt, **where.describe()},
        ip=ip,
    )
    now = clock.now()
    name = f"{dataset}_{where.period.first.isoformat()}_{where.period.last.isoformat()}.{fmt}"
    return Export(name, MEDIA_TYPES[fmt], _stream(database, dataset, fmt, where, now, tmp_dir))


def _stream(
    database: Database,
    dataset: Dataset,
    fmt: Format,
    where: ExportFilter,
    now: datetime,
    tmp_dir: Path | None,
) -> Iterator[bytes]:
    with database.reading() as db:
        table = _table(db, dataset, where, now)
        if fmt == "csv":
            yield from csv_chunks(table)
        else:
            yield from xlsx_chunks([table], tmp_dir)


def _table(db: Session, dataset: Dataset, where: ExportFilter, now: datetime) -> Table:
    if dataset == "tickets":
        return ticket_table(db, where)
    if dataset == "conversations":
        return conversation_table(db, where)
    report = compute_kpis(
        db, period=where.period, group_by=where.group_by, agent_id=where.agent_id, now=now
    )
    return kpi_table(report)
