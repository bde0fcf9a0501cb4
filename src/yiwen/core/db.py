"""Database engine, declarative base and the unit of work.

SQLite (WAL) is the embedded default and PostgreSQL the production database.
On SQLite, writing transactions start with ``BEGIN IMMEDIATE`` so concurrent
writers queue on the busy timeout instead of failing on a lock upgrade; reads
use a second engine with plain deferred transactions so they never wait.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import DateTime, Engine, Numeric, create_engine, event
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from yiwen.core.events import hold_until_released, release_held


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as UTC and always returns them aware."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime written to the database")
        moment = value.astimezone(UTC)
        return moment.replace(tzinfo=None) if dialect.name == "sqlite" else moment

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Money(TypeDecorator[Decimal]):
    """Yuan with two places; SQLite has no decimal type, so it must round-trip through text."""

    impl = Numeric(14, 2, asdecimal=True)
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> str | Decimal | None:
        if value is None:
            return None
        amount = Decimal(value).quantize(Decimal("0.01"))
        return str(amount) if dialect.name == "sqlite" else amount

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return Decimal(str(value)).quantize(Decimal("0.01"))


class Base(DeclarativeBase):
    type_annotation_map: ClassVar = {datetime: UTCDateTime(), Decimal: Money()}


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _make_engine(url: str, *, echo: bool, immediate: bool) -> Engine:
    is_sqlite = url.startswith("sqlite")
    kwargs: dict[str, Any] = {"echo": echo, "future": True}
    if is_sqlite:
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
    else:
        kwargs.update(pool_size=20, max_overflow=20, pool_pre_ping=True)
    engine = create_engine(url, **kwargs)
    if is_sqlite:
        event.listen(engine, "connect", _sqlite_pragmas)

        @event.listens_for(engine, "connect")
        def _no_implicit_begin(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None

        @event.listens_for(engine, "begin")
        def _begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


class Database:
    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        # What in-transaction event reactions need (the clock, settings, the store
        # connector): whoever assembles the app puts it here, and every session
        # carries it in ``Session.info``; see :func:`session_context`.
        self.context: dict[str, object] = {}
        self.engine = _make_engine(url, echo=echo, immediate=True)
        self.read_engine = (
            _make_engine(url, echo=echo, immediate=False)
            if url.startswith("sqlite")
            else self.engine
        )
        self.sessions = sessionmaker(self.engine, expire_on_commit=False, info=self.context)
        self._writer_lock: AbstractContextManager[object] = (
            threading.Lock() if url.startswith("sqlite") else nullcontext()
        )
        self.read_sessions = sessionmaker(
            self.read_engine, expire_on_commit=False, info=self.context
        )

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: commits when the block ends, rolls back if it raises.

        On SQLite the writers of this process queue on a lock instead of on
        SQLite's busy handler, which polls with sleeps of up to 100 ms and let a
        writer lose the race again and again (p99 of 1 s with 16 clients). The
        lock is not tied to a thread (a request may enter and leave this block on
        different worker threads), and events are published only once it is let
        go, so a listener may open a transaction of its own.
        """
        session = self.sessions()
        hold_until_released(session)
        try:
            with self._writer_lock:
                try:
                    yield session
                    session.commit()
                except BaseException:
                    session.rollback()
                    raise
                finally:
                    session.close()
            release_held(session)
        finally:
            session.info.clear()

    @contextmanager
    def reading(self) -> Iterator[Session]:
        session = self.read_sessions()
        try:
            yield session
        finally:
            session.rollback()
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()
        if self.read_engine is not self.engine:
            self.read_engine.dispose()


def session_context(session: Session, name: str) -> object:
    """One item of the context the session's database was given (``clock``, ``settings``…).

    Raises ``LookupError`` when it was never provided: a reaction that needs the
    clock must not silently fall back to the wall clock.
    """
    try:
        return session.info[name]
    except KeyError:
        raise LookupError(f"database context has no {name!r}; set Database.context") from None
