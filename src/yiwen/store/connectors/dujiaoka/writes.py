"""The optional writes to a dujiaoka database, through a separate account (off by default).

Each write is one transaction on the shop's database and is idempotent by
itself (a coupon's code is derived from the idempotency key, so a retry after a
lost answer finds the coupon instead of making a second one).
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Engine, text

from yiwen.core.errors import Conflict
from yiwen.store.connectors.dujiaoka.reader import guarded, rows


def coupon_code(salt: str, idempotency_key: str) -> str:
    digest = hashlib.sha256(f"yiwen-coupon:{salt}:{idempotency_key}".encode()).hexdigest()
    return "YW" + digest[:14].upper()


def create_coupon(engine: Engine, *, code: str, amount: Decimal, now: datetime) -> int:
    """A single-use coupon of ``amount`` yuan valid on every open goods; returns its id.

    dujiaoka accepts a coupon only for goods linked in ``coupons_goods``.
    """
    with guarded(engine, "coupon write") as connection:
        existing = rows(
            connection, "SELECT id, discount FROM coupons WHERE coupon = :code", code=code
        )
        if existing:
            if Decimal(str(existing[0]["discount"])) != amount:
                raise Conflict("idempotency_key_reused")
            return int(existing[0]["id"])
        inserted = connection.execute(
            text(
                "INSERT INTO coupons (discount, is_use, is_open, coupon, ret, created_at, "
                "updated_at) VALUES (:discount, 1, 1, :code, 1, :now, :now)"
            ),
            {"discount": amount, "code": code, "now": now},
        )
        coupon_id = int(inserted.lastrowid)
        connection.execute(
            text(
                "INSERT INTO coupons_goods (goods_id, coupons_id) SELECT id, :coupon_id "
                "FROM goods WHERE deleted_at IS NULL AND is_open = 1"
            ),
            {"coupon_id": coupon_id},
        )
        return coupon_id
