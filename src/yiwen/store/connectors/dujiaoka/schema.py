"""Loading a dujiaoka install dump (``database/sql/install.sql``) into an empty database.

Used by the tests and the data generator: the connector reads the real schema,
so the schema comes from dujiaoka's own dump rather than from a copy of its columns.
"""

from __future__ import annotations

from typing import Any


def split_statements(dump: str) -> list[str]:
    """The dump's statements, split on semicolons outside quotes, comment lines dropped."""
    statements: list[str] = []
    current: list[str] = []
    quote: str | None = None
    escaped = False
    for line in dump.splitlines(keepends=True):
        if quote is None and not "".join(current).strip() and line.lstrip().startswith("--"):
            continue
        for char in line:
            current.append(char)
            if escaped:
                escaped = False
            elif quote is not None:
                if char == "\\":
                    escaped = True
                elif char == quote:
                    quote = None
            elif char in "'\"`":
                quote = char
            elif char == ";":
                statement = "".join(current[:-1]).strip()
                if statement:
                    statements.append(statement)
                current = []
    tail = "".join(current).strip()
    if tail:
        statements.append(tail)
    return statements


def load_dump(connection: Any, dump: str) -> int:
    """Runs every statement of ``dump`` on a DB-API connection; returns how many ran."""
    statements = split_statements(dump)
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
    connection.commit()
    return len(statements)
