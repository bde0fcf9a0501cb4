"""How an export's cells are typed, so CSV and XLSX write each one right.

Times are aware UTC datetimes inside; both writers show them in Asia/Shanghai
(the CSV as text, the XLSX as real date cells Excel can sort and filter).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

CellKind = Literal["text", "int", "number", "percent", "datetime", "date"]
Row = Sequence[object]


@dataclass(frozen=True)
class Column:
    header: str
    kind: CellKind = "text"
    width: int = 14


@dataclass(frozen=True)
class Table:
    """One sheet: its name, its columns and its rows, read in batches."""

    name: str
    columns: Sequence[Column]
    batches: Iterator[list[Row]]
