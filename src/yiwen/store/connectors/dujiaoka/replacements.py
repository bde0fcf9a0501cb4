"""Replacement card keys for a dujiaoka shop: an unsold carmi marked sold, recorded in the shop.

dujiaoka has no notion of "this key replaced that one", so Yiwen keeps a small
table in the shop's own database, ``yiwen_carmi_replacements`` (created by the
operator, see docs/connectors.md). Keeping it beside ``carmis`` makes taking
the key and recording it one transaction of the shop's database: the record is
claimed first by its idempotency key (a concurrent retry waits on the primary
key and then replays), the carmi is picked ``FOR UPDATE`` and marked sold, and
the record gets the carmi's id. A retry returns the same key; a unique
(order, replaced key) pair means one dead key is never replaced twice, even
under different idempotency keys. The order's own ``info`` is never changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, text

from yiwen.core.errors import Conflict
from yiwen.store.connectors.dujiaoka.reader import DuplicateRow, guarded, rows
from yiwen.store.protocol import StoreActionRefused

TABLE = "yiwen_carmi_replacements"
CREATE_TABLE = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
  idempotency_key varchar(200) NOT NULL,
  order_sn varchar(150) NOT NULL,
  replaced_key_id varchar(200) NOT NULL,
  carmi_id bigint DEFAULT NULL,
  reason varchar(500) NOT NULL DEFAULT '',
  created_at timestamp NULL DEFAULT NULL,
  PRIMARY KEY (idempotency_key),
  UNIQUE KEY uniq_replaced_key (order_sn, replaced_key_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
"""


@dataclass(frozen=True)
class Replacement:
    order_sn: str
    replaced_key_id: str
    carmi_id: int
    carmi: str
    created_at: datetime


@dataclass(frozen=True)
class Taken:
    """What one replace call did: the replacement, and whether it was a replay of the key."""

    replacement: Replacement
    replayed: bool


def replacements_of(connection: Connection, order_sn: str) -> list[Replacement]:
    """The order's replacement keys, oldest first, with their carmi text."""
    found = rows(
        connection,
        f"SELECT r.order_sn, r.replaced_key_id, r.carmi_id, r.created_at, c.carmi "
        f"FROM {TABLE} r JOIN carmis c ON c.id = r.carmi_id "
        "WHERE r.order_sn = :sn AND r.carmi_id IS NOT NULL ORDER BY r.created_at, r.carmi_id",
        sn=order_sn,
    )
    return [_replacement(row) for row in found]


def take_replacement(
    engine: Engine,
    *,
    idempotency_key: str,
    order_sn: str,
    goods_id: int,
    goods_name: str,
    replaced_key_id: str,
    reason: str,
    now: datetime,
) -> Taken:
    """Mark one unsold carmi of ``goods_id`` sold for ``order_sn``, once per idempotency key."""
    try:
        with guarded(engine, "card key replacement") as connection:
            previous = _by_key(connection, idempotency_key)
            if previous is not None:
                return Taken(_check_same(previous, order_sn, replaced_key_id), True)
            connection.execute(
                text(
                    f"INSERT INTO {TABLE} (idempotency_key, order_sn, replaced_key_id, reason, "
                    "created_at) VALUES (:key, :sn, :replaced, :reason, :now)"
                ),
                {
                    "key": idempotency_key,
                    "sn": order_sn,
                    "replaced": replaced_key_id,
                    "reason": reason[:500],
                    "now": now,
                },
            )
            stock = rows(
                connection,
                "SELECT id, carmi FROM carmis WHERE goods_id = :goods AND status = 1 "
                "AND is_loop = 0 AND deleted_at IS NULL ORDER BY id LIMIT 1 FOR UPDATE",
                goods=goods_id,
            )
            if not stock:
                # Raising rolls the claim back: nothing is recorded, the key may be retried.
                raise StoreActionRefused("no_card_key_stock", product=goods_name)
            carmi_id = int(stock[0]["id"])
            connection.execute(
                text("UPDATE carmis SET status = 2, updated_at = :now WHERE id = :id"),
                {"now": now, "id": carmi_id},
            )
            connection.execute(
                text(f"UPDATE {TABLE} SET carmi_id = :id WHERE idempotency_key = :key"),
                {"id": carmi_id, "key": idempotency_key},
            )
            replacement = Replacement(order_sn, replaced_key_id, carmi_id, stock[0]["carmi"], now)
            return Taken(replacement, False)
    except DuplicateRow:
        pass
    return _after_duplicate(engine, idempotency_key, order_sn, replaced_key_id)


def _after_duplicate(
    engine: Engine, idempotency_key: str, order_sn: str, replaced_key_id: str
) -> Taken:
    """A concurrent call with this key won, or the dead key was replaced under another key."""
    with guarded(engine, "card key replacement") as connection:
        previous = _by_key(connection, idempotency_key)
        if previous is not None:
            return Taken(_check_same(previous, order_sn, replaced_key_id), True)
    raise StoreActionRefused("card_key_already_replaced", order_no=order_sn)


def _by_key(connection: Connection, idempotency_key: str) -> dict[str, Any] | None:
    found = rows(
        connection,
        f"SELECT r.order_sn, r.replaced_key_id, r.carmi_id, r.created_at, c.carmi "
        f"FROM {TABLE} r LEFT JOIN carmis c ON c.id = r.carmi_id "
        "WHERE r.idempotency_key = :key",
        key=idempotency_key,
    )
    return found[0] if found else None


def _check_same(row: dict[str, Any], order_sn: str, replaced_key_id: str) -> Replacement:
    if (row["order_sn"], row["replaced_key_id"]) != (order_sn, replaced_key_id):
        raise Conflict("idempotency_key_reused")
    return _replacement(row)


def _replacement(row: dict[str, Any]) -> Replacement:
    return Replacement(
        order_sn=str(row["order_sn"]),
        replaced_key_id=str(row["replaced_key_id"]),
        carmi_id=int(row["carmi_id"]),
        carmi=str(row["carmi"]),
        created_at=row["created_at"],
    )
