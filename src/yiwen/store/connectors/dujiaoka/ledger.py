"""Yiwen's own records for a dujiaoka shop: idempotency keys and resend counts.

dujiaoka's schema has nowhere to keep them and its database account is
read-only, so they live in a small SQLite file next to Yiwen's data. Each
action runs while the file's write lock is held (``BEGIN IMMEDIATE``): the same
key twice performs the action once, even from two processes.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
from collections.abc import Callable
from dataclasses import asdict, replace
from decimal import Decimal
from pathlib import Path

from yiwen.core.errors import Conflict, InvalidInput
from yiwen.store.protocol import ActionResult

MAX_KEY_LENGTH = 200
SCHEMA = (
    "CREATE TABLE IF NOT EXISTS actions (key TEXT PRIMARY KEY, action TEXT NOT NULL, "
    "fingerprint TEXT NOT NULL, result TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS resends (order_no TEXT PRIMARY KEY, count INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
)


class Ledger:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        connection = self._connect()
        try:
            connection.execute("PRAGMA journal_mode=WAL")  # kept by the file from now on
            for statement in SCHEMA:
                connection.execute(statement)
            connection.execute(
                "INSERT OR IGNORE INTO meta (name, value) VALUES ('salt', ?)",
                (secrets.token_hex(8),),
            )
            row = connection.execute("SELECT value FROM meta WHERE name = 'salt'").fetchone()
        finally:
            connection.close()
        # Names this installation's shop records (coupon codes), stable across restarts.
        self.salt = str(row[0])

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=30, isolation_level=None)

    def resend_count(self, order_no: str) -> int:
        connection = self._connect()
        try:
            row = connection.execute(
                "SELECT count FROM resends WHERE order_no = ?", (order_no,)
            ).fetchone()
        finally:
            connection.close()
        return int(row[0]) if row else 0

    def perform(
        self,
        action: str,
        idempotency_key: str,
        request: dict[str, str],
        run: Callable[[sqlite3.Connection], ActionResult],
    ) -> ActionResult:
        """Run ``run`` once per key and replay its result after; a refusal records nothing."""
        if not 0 < len(idempotency_key) <= MAX_KEY_LENGTH:
            raise InvalidInput("invalid_idempotency_key")
        canonical = json.dumps({"action": action, **request}, sort_keys=True, ensure_ascii=False)
        fingerprint = hashlib.sha256(canonical.encode()).hexdigest()
        connection = self._connect()
        try:
            connection.execute("BEGIN IMMEDIATE")
            try:
                row = connection.execute(
                    "SELECT action, fingerprint, result FROM actions WHERE key = ?",
                    (idempotency_key,),
                ).fetchone()
                if row is not None:
                    if (row[0], row[1]) != (action, fingerprint):
                        raise Conflict("idempotency_key_reused")
                    result = replace(_from_json(json.loads(row[2])), replayed=True)
                else:
                    result = run(connection)
                    connection.execute(
                        "INSERT INTO actions (key, action, fingerprint, result) VALUES (?,?,?,?)",
                        (idempotency_key, action, fingerprint, json.dumps(_to_json(result))),
                    )
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")
            return result
        finally:
            connection.close()


def count_resend(connection: sqlite3.Connection, order_no: str) -> int:
    """Adds one resend of ``order_no`` inside the running action; returns the new count."""
    connection.execute(
        "INSERT INTO resends (order_no, count) VALUES (?, 1) "
        "ON CONFLICT(order_no) DO UPDATE SET count = count + 1",
        (order_no,),
    )
    row = connection.execute("SELECT count FROM resends WHERE order_no = ?", (order_no,)).fetchone()
    return int(row[0])


def _to_json(result: ActionResult) -> dict[str, object]:
    data = asdict(result)
    data["amount"] = None if result.amount is None else str(result.amount)
    return data


def _from_json(data: dict[str, object]) -> ActionResult:
    amount = data["amount"]
    return ActionResult(
        action=data["action"],  # type: ignore[arg-type]
        order_no=data["order_no"],  # type: ignore[arg-type]
        reference=str(data["reference"]),
        status=data["status"],  # type: ignore[arg-type]
        detail=dict(data["detail"]),  # type: ignore[call-overload]
        amount=None if amount is None else Decimal(str(amount)),
    )
