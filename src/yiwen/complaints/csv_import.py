"""Importing complaints from a CSV export: UTF-8 (with or without BOM) or GBK, all or nothing.

Rows are checked first, all of them; if any row is wrong, nothing is imported
and every wrong row is reported with its number (the header is row 1, as in a
spreadsheet), so staff fix the file and upload it again. Rows already
registered (same platform and reference, in the database or earlier in the
file) are skipped and reported as duplicates, so uploading the same file twice
is harmless. The valid rows are imported in the caller's one transaction.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from yiwen.auth.audit import Actor
from yiwen.complaints.models import ExternalComplaint
from yiwen.complaints.parsing import parse_deadline, platform_code
from yiwen.complaints.service import (
    NewComplaint,
    check_complaint,
    find_complaint,
    register_complaint,
)
from yiwen.core.clock import Clock
from yiwen.core.errors import DomainError, InvalidInput, TooLarge
from yiwen.core.i18n import translate
from yiwen.core.settings import Settings
from yiwen.store.protocol import StoreConnector

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 1000
BOM = b"\xef\xbb\xbf"
COLUMNS: dict[str, tuple[str, ...]] = {
    "platform": ("platform", "平台", "投诉平台"),
    "external_ref": ("external_ref", "reference", "编号", "投诉编号", "投诉单号"),
    "url": ("url", "链接", "投诉链接"),
    "complainant_name": ("complainant_name", "name", "投诉人"),
    "complainant_contact": ("complainant_contact", "contact", "联系方式", "联系电话"),
    "text": ("text", "content", "投诉内容", "内容"),
    "order_no": ("order_no", "订单号"),
    "external_deadline": ("external_deadline", "deadline", "处理期限", "截止时间"),
}
REQUIRED = ("platform", "external_ref", "text")


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    code: str
    message: str


@dataclass
class ImportReport:
    imported: list[tuple[int, ExternalComplaint]] = field(default_factory=list)
    duplicates: list[tuple[int, str]] = field(default_factory=list)  # (row, complaint id or "")
    errors: list[RowError] = field(default_factory=list)


def decode_csv(data: bytes) -> str:
    """UTF-8 (a BOM is dropped), else GBK (read as GB18030, its superset)."""
    if data.startswith(BOM):
        data = data[len(BOM) :]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise InvalidInput("complaint_csv_encoding") from None


def read_rows(text: str) -> list[tuple[int, dict[str, str]]]:
    """(row number, canonical column -> value) for each data row that is not blank."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise InvalidInput("complaint_csv_header", columns=", ".join(REQUIRED)) from None
    names = {alias.lower(): name for name, aliases in COLUMNS.items() for alias in aliases}
    mapping = [names.get(h.strip().lower()) for h in header]
    missing = [name for name in REQUIRED if name not in mapping]
    if missing:
        raise InvalidInput("complaint_csv_header", columns=", ".join(missing))
    rows: list[tuple[int, dict[str, str]]] = []
    for number, values in enumerate(reader, start=2):
        if not any(v.strip() for v in values):
            continue
        if len(rows) >= MAX_ROWS:
            raise TooLarge("complaint_csv_too_large", rows=MAX_ROWS, mb=MAX_BYTES // 2**20)
        row = {
            name: value.strip()
            for name, value in zip(mapping, values, strict=False)
            if name is not None
        }
        rows.append((number, row))
    return rows


def import_csv(
    db: Session,
    clock: Clock,
    settings: Settings,
    store: StoreConnector,
    data: bytes,
    *,
    actor: Actor,
) -> ImportReport:
    """Check every row, then register the valid new ones — or none if any row is wrong."""
    if len(data) > MAX_BYTES:
        raise TooLarge("complaint_csv_too_large", rows=MAX_ROWS, mb=MAX_BYTES // 2**20)
    rows = read_rows(decode_csv(data))
    report = ImportReport()
    now = clock.now()
    ready: list[tuple[int, NewComplaint]] = []
    seen: set[tuple[str, str]] = set()
    for number, row in rows:
        try:
            new = _complaint_of(row)
            check_complaint(new, now, allow_past_deadline=False)
        except DomainError as exc:
            report.errors.append(_error(number, exc))
            continue
        key = (new.platform, new.external_ref.strip())
        existing = find_complaint(db, *key)
        if key in seen or existing is not None:
            report.duplicates.append((number, existing.id if existing else ""))
            continue
        seen.add(key)
        ready.append((number, new))
    if report.errors:
        return report
    for number, new in ready:
        complaint, _created = register_complaint(db, clock, settings, store, new, actor=actor)
        report.imported.append((number, complaint))
    return report


def _complaint_of(row: dict[str, str]) -> NewComplaint:
    deadline_text = row.get("external_deadline", "")
    return NewComplaint(
        platform=platform_code(row.get("platform", "")),
        external_ref=row.get("external_ref", ""),
        text=row.get("text", ""),
        url=row.get("url") or None,
        complainant_name=row.get("complainant_name") or None,
        complainant_contact=row.get("complainant_contact") or None,
        order_no=row.get("order_no") or None,
        external_deadline=parse_deadline(deadline_text) if deadline_text else None,
        source="csv",
    )


_COLUMN_OF_CODE = {
    "complaint_platform_unknown": "platform",
    "complaint_ref_missing": "external_ref",
    "complaint_text_missing": "text",
    "complaint_deadline_past": "external_deadline",
    "complaint_deadline_invalid": "external_deadline",
}


def _error(number: int, exc: DomainError) -> RowError:
    return RowError(
        row=number,
        column=_COLUMN_OF_CODE.get(exc.code, ""),
        code=exc.code,
        message=translate(exc.code, "zh-CN", **exc.params),
    )
