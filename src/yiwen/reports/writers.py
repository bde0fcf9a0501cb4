"""CSV and XLSX writers for export tables, batch by batch.

CSV: UTF-8 with a BOM so Excel reads Chinese right, times as Asia/Shanghai
text, and any text cell Excel would run as a formula (``=``, ``+``, ``-``,
``@``, tab, carriage return at the start) prefixed with an apostrophe (the rule
of :mod:`yiwen.analytics.csv_export`). It streams: each batch is encoded and
handed on before the next is read.

XLSX (XlsxWriter in ``constant_memory`` mode, which flushes each row to a
temporary file): a styled, frozen, filterable header, column widths, times as
real date cells, rates as percent cells. Text always goes in as a string cell,
never as a formula, and is escaped like the CSV as well, so a copy pasted back
into a CSV stays safe. A table past Excel's row limit continues on a second sheet.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import xlsxwriter  # type: ignore[import-untyped]

from yiwen.analytics.csv_export import BOM, safe_cell
from yiwen.core.clock import to_local
from yiwen.reports.columns import Column, Row, Table

# Excel's limits: rows per sheet (one is the header), characters per cell.
MAX_SHEET_ROWS = 1_048_576
MAX_CELL_CHARS = 32_767
CHUNK = 64 * 1024
_DATETIME = "%Y-%m-%d %H:%M:%S"


def _csv_cell(value: object, column: Column) -> object:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return to_local(value).strftime(_DATETIME)
    if isinstance(value, date):
        return value.isoformat()
    return safe_cell(value)


def csv_chunks(table: Table) -> Iterator[bytes]:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(column.header for column in table.columns)
    yield (BOM + out.getvalue()).encode("utf-8")
    for batch in table.batches:
        out.seek(0)
        out.truncate()
        for row in batch:
            writer.writerow(
                _csv_cell(value, column) for value, column in zip(row, table.columns, strict=True)
            )
        yield out.getvalue().encode("utf-8")


class _Sheets:
    """Sheets of one table in a workbook; a new one starts when a sheet is full."""

    def __init__(self, book: Any, table: Table, row_limit: int) -> None:
        self.book = book
        self.table = table
        self.row_limit = row_limit
        self.header = book.add_format(
            {"bold": True, "bg_color": "#1F4E79", "font_color": "#FFFFFF", "border": 1}
        )
        self.formats = {
            "datetime": book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"}),
            "date": book.add_format({"num_format": "yyyy-mm-dd"}),
            "percent": book.add_format({"num_format": "0.0%"}),
            "number": book.add_format({"num_format": "0.00"}),
            "int": book.add_format({"num_format": "0"}),
        }
        self.count = 0
        self.sheet: Any = None
        self.row = 0

    def _start(self) -> None:
        self.count += 1
        name = self.table.name if self.count == 1 else f"{self.table.name} ({self.count})"
        self.sheet = self.book.add_worksheet(name[:31])
        for i, column in enumerate(self.table.columns):
            self.sheet.set_column(i, i, column.width)
        self.sheet.freeze_panes(1, 0)
        self.sheet.autofilter(0, 0, self.row_limit - 1, len(self.table.columns) - 1)
        for i, column in enumerate(self.table.columns):
            self.sheet.write_string(0, i, column.header, self.header)
        self.row = 1

    def write(self, row: Row) -> None:
        if self.sheet is None or self.row >= self.row_limit:
            self._start()
        for i, (value, column) in enumerate(zip(row, self.table.columns, strict=True)):
            self._cell(i, value, column)
        self.row += 1

    def finish(self) -> None:
        """An empty table still gets its sheet, with the header."""
        if self.sheet is None:
            self._start()

    def _cell(self, i: int, value: object, column: Column) -> None:
        sheet, row = self.sheet, self.row
        if value is None or value == "":
            return
        if isinstance(value, datetime):
            sheet.write_datetime(
                row, i, to_local(value).replace(tzinfo=None), self.formats["datetime"]
            )
        elif isinstance(value, date):
            sheet.write_datetime(
                row, i, datetime.combine(value, datetime.min.time()), self.formats["date"]
            )
        elif isinstance(value, bool):
            sheet.write_string(row, i, "是" if value else "否")
        elif isinstance(value, int | float):
            sheet.write_number(row, i, value, self.formats.get(column.kind))
        else:
            text = str(safe_cell(str(value)))[:MAX_CELL_CHARS]
            sheet.write_string(row, i, text)


def write_xlsx(path: Path, tables: list[Table], *, row_limit: int = MAX_SHEET_ROWS) -> None:
    """Write ``tables`` (one sheet each, more if one overflows) to ``path``."""
    book = xlsxwriter.Workbook(
        str(path),
        {"constant_memory": True, "tmpdir": str(path.parent), "strings_to_numbers": False},
    )
    try:
        for table in tables:
            sheets = _Sheets(book, table, row_limit)
            for batch in table.batches:
                for row in batch:
                    sheets.write(row)
            sheets.finish()
    finally:
        book.close()


def xlsx_chunks(tables: list[Table], tmp_dir: Path | None = None) -> Iterator[bytes]:
    """The workbook built in a temporary file, then read back in chunks and removed."""
    handle, name = tempfile.mkstemp(suffix=".xlsx", dir=tmp_dir)
    os.close(handle)
    path = Path(name)
    try:
        write_xlsx(path, tables)
        with path.open("rb") as built:
            while chunk := built.read(CHUNK):
                yield chunk
    finally:
        path.unlink(missing_ok=True)


def xlsx_bytes(tables: list[Table]) -> bytes:
    """A small workbook in memory (the mailed report)."""
    return b"".join(xlsx_chunks(tables))
