"""The data set of the data-growth benchmark, bulk-loaded into a migrated schema.

A year of a 卡盟 shop's after-sales work: customers writing about game points,
card keys and memberships, agents answering, tickets ageing from open to
closed. Tickets are created in time order over 365 days, so row ids follow
time the way they do in production; tickets of the last three days are mostly
still being worked on, older ones are mostly closed, with a few stale ones left
open (the backlog nobody likes to look at).

Search words: cutting 10M messages with jieba would take hours, so bodies are
assembled from a small set of sentences plus a unique order number, each
sentence is cut once with ``index_terms`` and its words reused, and the order
number (which jieba keeps whole and ``normalise`` lowercases) is appended. The
first documents of every run are checked against ``index_terms`` of the full
body, so the stored words are exactly what the write path would have stored.

Loading goes around the ORM: COPY on PostgreSQL, ``executemany`` on a raw
sqlite3 connection, with the secondary indexes dropped during the load and
rebuilt afterwards (what one does for any bulk import; a GIN index built once
is many times faster than one maintained row by row). PostgreSQL is then
analysed (autovacuum would do it in production); SQLite is not, as Yiwen never
runs ANALYZE there.
"""

from __future__ import annotations

import random
import sqlite3
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from yiwen.core.db import Database
from yiwen.core.ids import new_id
from yiwen.search.terms import index_terms

CHUNK = 5_000  # tickets per load batch
AGENTS = 50
RECENT = timedelta(days=3)
GAMES = ("王者荣耀", "和平精英", "原神", "腾讯视频", "爱奇艺", "网易云音乐", "英雄联盟", "穿越火线")
PROBLEMS = ("点券没到账", "卡密无效", "充值失败", "会员没开通", "重复扣款", "激活码已被使用")
REPLIES = (
    "您好，正在为您核实订单",
    "已为您补发卡密，请查收",
    "上游处理中，预计十分钟到账",
    "退款已提交，原路退回",
)
# One reply in a hundred: a word of middling frequency, the hardest case for full-text
# plans (too many hits to sort cheaply, too few to find early by walking newest first).
RARE_REPLY = "已升级给主管处理，请耐心等待"
CATEGORIES = ("delivery_missing", "card_invalid", "refund_request", "order_status", "payment_issue")
QUEUES = ("general_l1", "general_l2", "finance", "supplier", "security")
PRIORITIES = ("low", "normal", "normal", "normal", "high")
# (status, weight) for tickets of the last three days, and for older ones.
RECENT_STATUSES = (
    ("new", 10),
    ("open", 30),
    ("pending_customer", 15),
    ("pending_supplier", 10),
    ("pending_internal", 5),
    ("resolved", 20),
    ("closed", 10),
)
OLD_STATUSES = (
    ("open", 1),
    ("pending_customer", 1),
    ("pending_supplier", 1),
    ("resolved", 5),
    ("closed", 92),
)
DONE = ("resolved", "closed")
CHECKED_DOCUMENTS = 200

TABLES: dict[str, tuple[str, ...]] = {
    "conversations": (
        "id", "customer_id", "channel", "status", "assignee_id", "last_message_at",
        "last_message_preview", "unread_for_staff", "created_at", "updated_at",
    ),
    "tickets": (
        "id", "number", "customer_id", "conversation_id", "channel", "category", "priority",
        "urgent", "status", "subject", "description", "key_info", "assignee_id", "queue",
        "first_response_due_at", "due_at", "first_response_at", "resolved_at", "resolved_by_id",
        "closed_at", "resolution_round", "created_at", "updated_at",
    ),
    "messages": (
        "id", "conversation_id", "sender_type", "sender_id", "body", "visibility",
        "attachment_ids", "ticket_id", "created_at",
    ),
    "ticket_events": (
        "ticket_id", "kind", "visibility", "actor_type", "actor_id", "body", "data", "at",
    ),
    "csat_ratings": (
        "id", "ticket_id", "resolution_round", "score", "comment", "agent_id", "created_at",
    ),
}  # fmt: skip
SEARCH_COLUMNS = ("kind", "ref", "conversation_id", "terms")


@dataclass(frozen=True)
class Landmarks:
    """Things the queries look for, chosen while generating so they exist at every size."""

    customer_id: str
    order_no: str
    agent_id: str = "agent007"


@dataclass
class Chunk:
    rows: dict[str, list[tuple[object, ...]]] = field(
        default_factory=lambda: {table: [] for table in (*TABLES, "search")}
    )


def _statuses(weights: Sequence[tuple[str, int]]) -> list[str]:
    return [status for status, weight in weights for _ in range(weight)]


def order_no(n: int) -> str:
    """The order ticket ``n`` is about: dujiaoka-style, 16 capitals and digits, unique."""
    return f"K{(n * 2654435761) % 10**15:015d}"


class Generator:
    """Rows for ``tickets`` tickets of ``per_ticket`` messages each, deterministic for a seed."""

    def __init__(self, tickets: int, per_ticket: int, *, now: datetime, seed: int = 7) -> None:
        self.tickets = tickets
        self.per_ticket = per_ticket
        self.now = now
        self.rng = random.Random(seed)
        self.customers = [new_id() for _ in range(max(1, tickets // 5))]
        self.agents = [f"agent{n:03d}" for n in range(AGENTS)]
        self._terms: dict[str, str] = {}
        self._recent = _statuses(RECENT_STATUSES)
        self._old = _statuses(OLD_STATUSES)
        self._message_id = 0
        self._checked = 0
        middle = tickets // 2
        self.landmarks = Landmarks(
            customer_id=self.customers[middle % len(self.customers)],
            order_no=order_no(middle),
        )

    def words(self, sentence: str) -> str:
        cached = self._terms.get(sentence)
        if cached is None:
            cached = self._terms[sentence] = index_terms(sentence)
        return cached

    def _document(self, body: str, words: str) -> str:
        """``words`` are those of ``index_terms(body)``; the first few are checked to be."""
        if self._checked < CHECKED_DOCUMENTS:
            self._checked += 1
            expected = index_terms(body)
            if words != expected:
                raise AssertionError(f"generated words {words!r} != index_terms {expected!r}")
        return words

    def customer_rows(self) -> list[tuple[object, ...]]:
        return [(c, None, "normal", "[]", self.now, self.now) for c in self.customers]

    def agent_rows(self) -> list[tuple[object, ...]]:
        return [(a, a, a, "agent_l1", "x", True, self.now, self.now) for a in self.agents]

    def chunks(self) -> Iterator[Chunk]:
        for start in range(0, self.tickets, CHUNK):
            chunk = Chunk()
            for n in range(start, min(self.tickets, start + CHUNK)):
                self._ticket(n, chunk.rows)
            yield chunk

    def _ticket(self, n: int, rows: dict[str, list[tuple[object, ...]]]) -> None:
        rng = self.rng
        year_ago = self.now - timedelta(days=365)
        created = year_ago + timedelta(days=365 * n / self.tickets, minutes=rng.randrange(60))
        created = min(created, self.now - timedelta(minutes=self.per_ticket * 3 + 1))
        status = rng.choice(self._recent if self.now - created < RECENT else self._old)
        assignee = None if status == "new" else rng.choice(self.agents)
        conversation_id, ticket_id = new_id(), new_id()
        customer = self.customers[n % len(self.customers)]
        game, problem = rng.choice(GAMES), rng.choice(PROBLEMS)
        subject = f"{game}{problem}"
        last_at = created + timedelta(minutes=3 * (self.per_ticket - 1))
        done = status in DONE
        resolved_at = last_at + timedelta(minutes=5) if done else None
        responded = None if status == "new" else created + timedelta(minutes=rng.randrange(1, 45))
        conversation_status = {"new": "waiting"}.get(status, "resolved" if done else "open")
        rows["conversations"].append(
            (conversation_id, customer, "web", conversation_status, assignee, last_at,
             "", 0, created, last_at)
        )  # fmt: skip
        rows["tickets"].append(
            (ticket_id, f"YWG{n:09d}", customer, conversation_id, "web",
             rng.choice(CATEGORIES), rng.choice(PRIORITIES), rng.random() < 0.05, status,
             subject, "", "{}", assignee, rng.choice(QUEUES),
             created + timedelta(minutes=30), created + timedelta(hours=24), responded,
             resolved_at, assignee if done else None,
             resolved_at if status == "closed" else None, 1 if done else 0, created,
             resolved_at or last_at)
        )  # fmt: skip
        rows["ticket_events"].append(
            (ticket_id, "created", "public", "customer", None, "", "{}", created)
        )
        if assignee is not None and rng.random() < 0.03:  # handed on once: not first-contact
            rows["ticket_events"].append(
                (ticket_id, "transferred", "public", "staff", assignee, "", "{}", responded)
            )
        number_words = self.words(f"YWG{n:09d}")
        rows["search"].append(
            ("ticket", ticket_id, conversation_id, f"{number_words} {self.words(subject)}")
        )
        order = order_no(n)
        for k in range(self.per_ticket):
            self._message_id += 1
            at = created + timedelta(minutes=3 * k)
            if k % 2 == 0:
                sentence = f"买的{rng.choice(GAMES)}{rng.choice(PROBLEMS)}，订单"
                body, sender, sender_id = f"{sentence} {order}", "customer", None
                words = f"{self.words(sentence)} {order.lower()}"
            else:
                sentence = RARE_REPLY if rng.random() < 0.01 else rng.choice(REPLIES)
                body, sender, sender_id = sentence, "agent", assignee
                words = self.words(sentence)
            rows["messages"].append(
                (self._message_id, conversation_id, sender, sender_id, body, "public", "[]",
                 ticket_id, at)
            )  # fmt: skip
            rows["search"].append(
                ("message", str(self._message_id), conversation_id, self._document(body, words))
            )
        if done and rng.random() < 0.3:
            rows["csat_ratings"].append(
                (new_id(), ticket_id, 1, rng.choice((3, 4, 5, 5, 5)), "", assignee, resolved_at)
            )


def load(database: Database, generator: Generator) -> dict[str, float]:
    """Bulk-load the generator's rows; returns the seconds spent loading and indexing."""
    t0 = time.perf_counter()
    if database.dialect == "postgresql":
        indexes = _postgres_load(database, generator)
    else:
        indexes = _sqlite_load(database, generator)
    loaded = time.perf_counter() - t0
    _rebuild_indexes(database, indexes)
    return {
        "load_seconds": round(loaded, 1),
        "index_seconds": round(time.perf_counter() - t0 - loaded, 1),
        "messages": generator._message_id,
    }


def _secondary_indexes_postgres(connection: object) -> list[tuple[str, str]]:
    rows = connection.execute(  # type: ignore[attr-defined]
        text(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i "
            "WHERE i.schemaname = 'public' AND i.tablename = ANY(:tables) "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)"
        ),
        {"tables": [*TABLES, "search_documents"]},
    )
    return [(name, definition) for name, definition in rows]


def _postgres_load(database: Database, generator: Generator) -> list[tuple[str, str]]:
    with database.engine.begin() as connection:
        indexes = _secondary_indexes_postgres(connection)
        for name, _definition in indexes:
            connection.execute(text(f'DROP INDEX "{name}"'))
    raw = database.engine.raw_connection()
    try:
        cursor = raw.cursor()
        # Foreign keys are right by construction; checking them row by row tripled the load.
        cursor.execute("SET session_replication_role = replica")
        _copy(cursor, "customers", ("id", "display_name", "tier", "tags", "created_at",
                                    "updated_at"), generator.customer_rows())  # fmt: skip
        _copy(cursor, "staff_users", ("id", "username", "display_name", "role", "password_hash",
                                      "is_active", "created_at", "password_changed_at"),
              generator.agent_rows())  # fmt: skip
        for chunk in generator.chunks():
            for table, columns in TABLES.items():
                _copy(cursor, table, columns, chunk.rows[table])
            _copy(cursor, "search_documents", SEARCH_COLUMNS, chunk.rows["search"])
        raw.commit()
    finally:
        raw.close()
    return indexes


def _copy(
    cursor: object, table: str, columns: Sequence[str], rows: list[tuple[object, ...]]
) -> None:
    if not rows:
        return
    statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    with cursor.copy(statement) as copy:  # type: ignore[attr-defined]
        for row in rows:
            copy.write_row(row)


def _sqlite_value(value: object) -> object:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return value


def _sqlite_load(database: Database, generator: Generator) -> list[tuple[str, str]]:
    path = database.engine.url.database
    assert path
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA synchronous=OFF")
        connection.execute("PRAGMA foreign_keys=OFF")
        tables = [*TABLES, "customers", "staff_users"]
        marks = ",".join("?" * len(tables))
        indexes = connection.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            f"AND tbl_name IN ({marks})",
            tables,
        ).fetchall()
        connection.execute("BEGIN")
        for name, _sql in indexes:
            connection.execute(f'DROP INDEX "{name}"')
        _insert(connection, "customers", ("id", "display_name", "tier", "tags", "created_at",
                                          "updated_at"), generator.customer_rows())  # fmt: skip
        _insert(connection, "staff_users", ("id", "username", "display_name", "role",
                                            "password_hash", "is_active", "created_at",
                                            "password_changed_at"),
                generator.agent_rows())  # fmt: skip
        for chunk in generator.chunks():
            for table, columns in TABLES.items():
                _insert(connection, table, columns, chunk.rows[table])
            _insert(connection, "search_fts", SEARCH_COLUMNS, chunk.rows["search"])
        connection.execute("COMMIT")
    finally:
        connection.close()
    return [(name, sql) for name, sql in indexes]


def _insert(
    connection: sqlite3.Connection,
    table: str,
    columns: Sequence[str],
    rows: list[tuple[object, ...]],
) -> None:
    if not rows:
        return
    connection.executemany(
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
        [tuple(_sqlite_value(v) for v in row) for row in rows],
    )


def _rebuild_indexes(database: Database, indexes: list[tuple[str, str]]) -> None:
    with database.engine.begin() as connection:
        if database.dialect == "postgresql":
            connection.execute(text("SET maintenance_work_mem = '1GB'"))
        for _name, definition in indexes:
            connection.execute(text(definition))
    if database.dialect == "postgresql":
        with database.engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").execute(
                text("VACUUM ANALYZE")
            )
    # SQLite is left without statistics: Yiwen never runs ANALYZE there, so the
    # benchmark sees the plans an installation sees.
