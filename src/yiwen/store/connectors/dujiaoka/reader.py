"""The read queries against a dujiaoka database, and the one place database errors are mapped.

Every query skips soft-deleted rows (``deleted_at``), as dujiaoka itself does.
A read-only account (SELECT on the shop's tables) is all these need.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, IntegrityError, SQLAlchemyError

from yiwen.store.protocol import StoreUnavailable

MAX_LIMIT = 200
DUPLICATE_ROW = 1062
TABLES = ("orders", "goods", "carmis", "coupons", "pays")

ORDER_COLUMNS = """
    o.id, o.order_sn, o.goods_id, o.title, o.type, o.goods_price, o.buy_amount,
    o.coupon_discount_price, o.actual_price, o.email, o.info, o.pay_id, o.trade_no,
    o.status, o.created_at, o.updated_at, g.gd_name, p.pay_name, p.pay_check, c.coupon
"""
ORDER_FROM = """
    FROM orders o
    LEFT JOIN goods g ON g.id = o.goods_id
    LEFT JOIN pays p ON p.id = o.pay_id
    LEFT JOIN coupons c ON c.id = o.coupon_id AND o.coupon_id > 0
"""
SUMMARY_COLUMNS = """
    o.order_sn, o.title, o.actual_price, o.email, o.status, o.created_at, g.gd_name
"""
SUMMARY_FROM = "FROM orders o LEFT JOIN goods g ON g.id = o.goods_id"


def make_engine(url: str, timeout: float) -> Engine:
    """An engine whose connects and reads give up after ``timeout`` seconds."""
    parsed = make_url(url)
    if parsed.drivername in ("mysql", "mariadb"):
        parsed = parsed.set(drivername=f"{parsed.drivername}+pymysql")
    seconds = max(1, round(timeout))
    return create_engine(
        parsed,
        pool_pre_ping=True,
        pool_recycle=1800,
        pool_size=5,
        max_overflow=5,
        pool_timeout=timeout,
        connect_args={
            "connect_timeout": seconds,
            "read_timeout": seconds,
            "write_timeout": seconds,
            "charset": "utf8mb4",
        },
    )


def describe(exc: BaseException) -> str:
    """The database's own words (code and message) without the SQL or the password."""
    original = getattr(exc, "orig", None)
    args = getattr(original, "args", ())
    if len(args) >= 2:
        return f"MySQL error {args[0]}: {args[1]}"
    return type(original or exc).__name__ + (f": {original}" if original else "")


class DuplicateRow(Exception):
    """A write hit a unique key (MySQL error 1062): someone else wrote that row first."""


@contextmanager
def guarded(engine: Engine, what: str) -> Iterator[Connection]:
    """A connection in a transaction; any database failure becomes StoreUnavailable."""
    try:
        with engine.begin() as connection:
            yield connection
    except IntegrityError as exc:
        if _code(exc) == DUPLICATE_ROW:
            raise DuplicateRow(describe(exc)) from exc
        raise StoreUnavailable(f"dujiaoka {what}: {describe(exc)}", retry_after=60) from exc
    except DBAPIError as exc:
        retry = 60.0 if _is_permanent(exc) else 5.0
        raise StoreUnavailable(f"dujiaoka {what}: {describe(exc)}", retry_after=retry) from exc
    except SQLAlchemyError as exc:
        raise StoreUnavailable(f"dujiaoka {what}: {describe(exc)}") from exc


def _code(exc: DBAPIError) -> object:
    args = getattr(exc.orig, "args", ())
    return args[0] if args else None


def _is_permanent(exc: DBAPIError) -> bool:
    """Wrong password, unknown database, missing table or right: an operator must act."""
    return _code(exc) in (1044, 1045, 1049, 1142, 1143, 1146, 1054)


def rows(connection: Connection, sql: str, **params: object) -> list[dict[str, Any]]:
    return [dict(row) for row in connection.execute(text(sql), params).mappings()]


def find_summaries(
    connection: Connection,
    *,
    order_no: str | None,
    email: str | None,
    search_pwd: str | None,
    since: datetime | None,
    limit: int,
) -> list[dict[str, Any]]:
    conditions = ["o.deleted_at IS NULL"]
    params: dict[str, object] = {"limit": max(1, min(limit, MAX_LIMIT))}
    if order_no is not None:
        conditions.append("o.order_sn = :order_no")
        params["order_no"] = order_no
    if email is not None:
        conditions.append("o.email = :email")
        params["email"] = email
    if search_pwd is not None:
        conditions.append("o.search_pwd = :search_pwd")
        params["search_pwd"] = search_pwd
    if since is not None:
        conditions.append("o.created_at >= :since")
        params["since"] = since
    sql = (
        f"SELECT {SUMMARY_COLUMNS} {SUMMARY_FROM} WHERE {' AND '.join(conditions)} "
        "ORDER BY o.created_at DESC, o.id DESC LIMIT :limit"
    )
    return rows(connection, sql, **params)


def order_row(connection: Connection, order_sn: str) -> dict[str, Any] | None:
    found = rows(
        connection,
        f"SELECT {ORDER_COLUMNS} {ORDER_FROM} WHERE o.order_sn = :sn AND o.deleted_at IS NULL",
        sn=order_sn,
    )
    return found[0] if found else None


def email_has_orders(connection: Connection, email: str) -> bool:
    return bool(
        rows(
            connection,
            "SELECT 1 FROM orders WHERE email = :email AND deleted_at IS NULL LIMIT 1",
            email=email,
        )
    )


def carmi_rows(connection: Connection, carmi: str) -> list[dict[str, Any]]:
    """Card-key rows whose text is ``carmi`` (sold or not), with their goods' names."""
    return rows(
        connection,
        "SELECT c.id, c.goods_id, c.status, c.is_loop, c.updated_at, g.gd_name "
        "FROM carmis c LEFT JOIN goods g ON g.id = c.goods_id "
        "WHERE c.carmi = :carmi AND c.deleted_at IS NULL ORDER BY c.id",
        carmi=carmi,
    )


def orders_delivering(
    connection: Connection, carmi: str, goods_id: int | None
) -> list[dict[str, Any]]:
    """Completed orders whose delivered info contains ``carmi``, newest first."""
    sql = (
        f"SELECT {ORDER_COLUMNS} {ORDER_FROM} WHERE o.deleted_at IS NULL AND o.status = 4 "
        "AND o.type = 1 AND o.info LIKE :pattern"
    )
    params: dict[str, object] = {"pattern": "%" + _escape_like(carmi) + "%"}
    if goods_id is not None:
        sql += " AND o.goods_id = :goods_id"
        params["goods_id"] = goods_id
    return rows(connection, sql + " ORDER BY o.created_at DESC, o.id DESC LIMIT 20", **params)


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def stock(connection: Connection) -> list[dict[str, Any]]:
    """Unsold card keys per open goods: what the operator check prints."""
    return rows(
        connection,
        "SELECT g.id, g.gd_name, g.type, "
        "SUM(CASE WHEN c.status = 1 AND c.deleted_at IS NULL THEN 1 ELSE 0 END) AS unsold "
        "FROM goods g LEFT JOIN carmis c ON c.goods_id = g.id "
        "WHERE g.deleted_at IS NULL GROUP BY g.id, g.gd_name, g.type ORDER BY g.id",
    )
