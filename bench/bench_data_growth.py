"""Does Yiwen hold its latency as data grows? Inbox, search, customer 360 and KPIs
at 10k and at 1M tickets (10 messages each), on SQLite and on PostgreSQL.

Data is bulk-loaded straight into a migrated schema (COPY on PostgreSQL,
executemany on SQLite), search words included, so that generation takes minutes,
not hours; then each query runs through Yiwen's own service functions, the same
code the HTTP routes call, and its plan is printed (EXPLAIN ANALYZE on
PostgreSQL, EXPLAIN QUERY PLAN on SQLite) so that an index that stops being used
shows.

Run: ``python -m bench.bench_data_growth [sqlite|postgresql] [--sizes 10000,1000000]
[--messages-per-ticket 10]``. At full size this takes a while (about 11M rows per
database); ``make bench`` runs it at the default sizes.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

from bench.common import percentile
from yiwen.analytics.kpis import compute_kpis
from yiwen.analytics.period import Period
from yiwen.core.db import Database
from yiwen.core.ids import new_id
from yiwen.migrations import upgrade
from yiwen.search.service import search
from yiwen.search.terms import index_terms
from yiwen.tickets.service import TicketFilter, list_tickets

ROOT = Path(__file__).resolve().parent.parent
REPEAT = 30
BATCH = 20_000
GAMES = ("王者荣耀", "和平精英", "原神", "腾讯视频", "爱奇艺", "网易云音乐", "英雄联盟", "穿越火线")
PROBLEMS = ("点券没到账", "卡密无效", "充值失败", "会员没开通", "重复扣款", "激活码已被使用")
REPLIES = (
    "您好，正在为您核实订单",
    "已为您补发卡密，请查收",
    "上游处理中，预计十分钟到账",
    "退款已提交",
)
CATEGORIES = ("delivery_missing", "card_invalid", "refund_request", "order_status", "other")
STATUSES = ("waiting", "open", "pending_customer", "resolved", "closed")


def bodies(rng: random.Random) -> Iterator[tuple[str, str]]:
    """(sender_type, body) pairs; bodies come from a small set so their words are cut once."""
    while True:
        game, problem = rng.choice(GAMES), rng.choice(PROBLEMS)
        yield "customer", f"买的{game}{problem}，订单 K{rng.randrange(10**9, 10**10)}"
        yield "agent", rng.choice(REPLIES)


def generate(database: Database, tickets: int, per_ticket: int, seed: int = 7) -> dict[str, float]:
    rng = random.Random(seed)
    now = datetime.now(UTC)
    dialect = database.engine.dialect.name
    terms_cache: dict[str, str] = {}
    t0 = time.perf_counter()
    customers = [new_id() for _ in range(max(1, tickets // 5))]
    agents = [f"agent{n:03d}" for n in range(50)]
    with database.engine.begin() as connection:
        for start in range(0, len(customers), BATCH):
            connection.execute(
                text(
                    "INSERT INTO customers (id, display_name, tier, tags, created_at, updated_at) "
                    "VALUES (:id, NULL, 'normal', '[]', :now, :now)"
                ),
                [{"id": c, "now": now} for c in customers[start : start + BATCH]],
            )
        connection.execute(
            text(
                "INSERT INTO staff_users (id, username, display_name, role, password_hash, "
                "is_active, created_at, password_changed_at) "
                "VALUES (:id, :id, :id, 'agent_l1', 'x', true, :now, :now)"
            ),
            [{"id": a, "now": now} for a in agents],
        )
    chat = bodies(rng)
    message_id = 0
    for start in range(0, tickets, BATCH // max(1, per_ticket // 2)):
        end = min(tickets, start + BATCH // max(1, per_ticket // 2))
        conversations, ticket_rows, messages, documents = [], [], [], []
        for n in range(start, end):
            created = now - timedelta(minutes=rng.randrange(365 * 24 * 60))
            conversation_id, ticket_id = new_id(), new_id()
            customer = customers[n % len(customers)]
            status = rng.choice(STATUSES)
            assignee = rng.choice(agents) if rng.random() < 0.8 else None
            conversations.append(
                {"id": conversation_id, "customer_id": customer, "channel": "web",
                 "status": "open" if status in ("waiting", "open") else "resolved",
                 "assignee_id": assignee, "last_message_at": created, "last_message_preview": "",
                 "unread_for_staff": 0, "created_at": created, "updated_at": created}
            )  # fmt: skip
            game, problem = rng.choice(GAMES), rng.choice(PROBLEMS)
            ticket_rows.append(
                {"id": ticket_id, "number": f"YWG{n:09d}", "customer_id": customer,
                 "conversation_id": conversation_id, "channel": "web",
                 "category": rng.choice(CATEGORIES), "priority": "normal",
                 "urgent": rng.random() < 0.05, "status": status, "subject": f"{game}{problem}",
                 "description": "", "key_info": "{}", "assignee_id": assignee,
                 "resolution_round": 0, "created_at": created,
                 "updated_at": created + timedelta(minutes=rng.randrange(600))}
            )  # fmt: skip
            subject_terms = terms_cache.setdefault(
                f"{game}{problem}", index_terms(f"{game}{problem}")
            )
            documents.append(("ticket", ticket_id, conversation_id, f"yw{n} {subject_terms}"))
            for k in range(per_ticket):
                sender, body = next(chat)
                message_id += 1
                at = created + timedelta(minutes=k)
                messages.append(
                    {"id": message_id, "conversation_id": conversation_id, "sender_type": sender,
                     "body": body, "visibility": "public", "attachment_ids": "[]", "created_at": at}
                )  # fmt: skip
                key = body.rsplit("订单", 1)[0]
                words = terms_cache.setdefault(key, index_terms(key))
                order = body.rsplit(" ", 1)[-1].lower() if sender == "customer" else ""
                documents.append(
                    ("message", str(message_id), conversation_id, f"{words} {order}".strip())
                )
        _load(database, dialect, conversations, ticket_rows, messages, documents)
    if dialect == "postgresql":
        with database.engine.begin() as connection:
            connection.execute(text("ANALYZE"))
    return {"seconds": round(time.perf_counter() - t0, 1), "messages": message_id}


def _load(database: Database, dialect: str, conversations, tickets, messages, documents) -> None:  # type: ignore[no-untyped-def]
    if dialect == "postgresql":
        raw = database.engine.raw_connection()
        try:
            cursor = raw.cursor()
            for table, rows in (
                ("conversations", conversations),
                ("tickets", tickets),
                ("messages", messages),
            ):
                columns = list(rows[0])
                with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row([row[c] for c in columns])
            with cursor.copy(
                "COPY search_documents (kind, ref, conversation_id, terms) FROM STDIN"
            ) as copy:
                for row in documents:
                    copy.write_row(row)
            raw.commit()
        finally:
            raw.close()
        return
    with database.engine.begin() as connection:
        for table, rows in (
            ("conversations", conversations),
            ("tickets", tickets),
            ("messages", messages),
        ):
            columns = list(rows[0])
            connection.execute(
                text(
                    f"INSERT INTO {table} ({', '.join(columns)}) "
                    f"VALUES ({', '.join(':' + c for c in columns)})"
                ),
                rows,
            )
        connection.execute(
            text(
                "INSERT INTO search_fts (kind, ref, conversation_id, terms) VALUES (:k, :r, :c, :t)"
            ),
            [{"k": k, "r": r, "c": c, "t": t} for k, r, c, t in documents],
        )


def timed(database: Database, run: Callable[..., object]) -> dict[str, float]:
    latencies = []
    for _ in range(REPEAT):
        with database.reading() as db:
            t0 = time.perf_counter()
            run(db)
            latencies.append(time.perf_counter() - t0)
    return {
        "p50_ms": round(percentile(latencies, 0.5) * 1000, 2),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 2),
    }


def customer_360(db) -> object:  # type: ignore[no-untyped-def]
    customer = db.execute(text("SELECT customer_id FROM tickets ORDER BY number LIMIT 1")).scalar()
    return list_tickets(db, TicketFilter(customer_id=customer), cursor=None, limit=20)


QUERIES: dict[str, Callable[..., object]] = {
    "inbox: all, first page": lambda db: list_tickets(db, TicketFilter(), cursor=None, limit=50),
    "inbox: mine, open": lambda db: list_tickets(
        db, TicketFilter(assignee_id="agent007", open_only=True), cursor=None, limit=50
    ),
    "inbox: unassigned": lambda db: list_tickets(
        db, TicketFilter(unassigned=True), cursor=None, limit=50
    ),
    "inbox: category + urgent": lambda db: list_tickets(
        db, TicketFilter(category="card_invalid", urgent=True), cursor=None, limit=50
    ),
    "search: common word (王者荣耀)": lambda db: search(db, "王者荣耀", limit=20),
    "search: two words (原神 充值)": lambda db: search(db, "原神 充值", limit=20),
    "search: ticket subject (会员)": lambda db: search(db, "会员", kind="ticket", limit=20),
    "customer 360: their tickets": customer_360,
}


def explain(database: Database, dialect: str) -> dict[str, list[str]]:
    """The plan of the inbox's first page and of a search, as the database reports it."""
    words = "array_to_tsvector(string_to_array(terms, ' '))"
    statements = {
        "inbox": "SELECT id FROM tickets ORDER BY updated_at DESC, id DESC LIMIT 50",
        "search": (
            "SELECT rowid FROM search_fts WHERE search_fts MATCH :q ORDER BY rowid DESC LIMIT 21"
            if dialect == "sqlite"
            else f"SELECT id FROM search_documents WHERE {words} @@ CAST(:q AS tsquery) "
            "ORDER BY id DESC LIMIT 21"
        ),
    }
    query = '"王者荣耀"' if dialect == "sqlite" else "'王者荣耀'"
    prefix = "EXPLAIN QUERY PLAN " if dialect == "sqlite" else "EXPLAIN (ANALYZE, COSTS OFF) "
    plans = {}
    with database.reading() as db:
        for name, sql in statements.items():
            rows = db.execute(text(prefix + sql), {"q": query} if ":q" in sql else {})
            plans[name] = [" ".join(str(c) for c in row) for row in rows]
    return plans


def run_one(url: str, tickets: int, per_ticket: int) -> dict[str, object]:
    upgrade(url)
    database = Database(url)
    try:
        loaded = generate(database, tickets, per_ticket)
        figures: dict[str, object] = {"generated": loaded}
        for name, query in QUERIES.items():
            figures[name] = timed(database, query)
        today = datetime.now(UTC).date()
        week = Period(today - timedelta(days=6), today)
        figures["KPIs, last 7 days"] = timed(
            database,
            lambda db: compute_kpis(
                db, period=week, group_by=None, agent_id=None, now=datetime.now(UTC)
            ),
        )
        figures["plans"] = explain(database, database.engine.dialect.name)
        return figures
    finally:
        database.dispose()


def run(
    databases: tuple[str, ...] = ("sqlite", "postgresql"),
    sizes: tuple[int, ...] = (10_000, 1_000_000),
    per_ticket: int = 10,
) -> dict[str, object]:
    results: dict[str, object] = {}
    with tempfile.TemporaryDirectory(prefix="yiwen-growth-") as tmp:
        work = Path(tmp)
        for database in databases:
            by_size: dict[str, object] = {}
            for size in sizes:
                if database == "sqlite":
                    by_size[str(size)] = run_one(
                        f"sqlite:///{work / f'g{size}.db'}", size, per_ticket
                    )
                else:
                    sys.path.insert(0, str(ROOT))
                    from tests.support.postgres import PostgresServer

                    server = PostgresServer.start(work / f"pg{size}")
                    try:
                        server.create_database("growth")
                        by_size[str(size)] = run_one(server.url("growth"), size, per_ticket)
                    finally:
                        server.stop()
            small, large = (by_size[str(s)] for s in (sizes[0], sizes[-1]))
            assert isinstance(small, dict) and isinstance(large, dict)
            by_size["p50 ratio, largest / smallest"] = {
                name: round(large[name]["p50_ms"] / max(small[name]["p50_ms"], 0.01), 2)
                for name in [*QUERIES, "KPIs, last 7 days"]
            }
            results[database] = by_size
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("databases", nargs="*", default=["sqlite", "postgresql"])
    parser.add_argument("--sizes", default="10000,1000000")
    parser.add_argument("--messages-per-ticket", type=int, default=10)
    args = parser.parse_args()
    chosen = tuple(int(s) for s in args.sizes.split(","))
    print(
        json.dumps(
            run(tuple(args.databases), chosen, args.messages_per_ticket),
            ensure_ascii=False,
            indent=2,
            default=str,
        )
    )
