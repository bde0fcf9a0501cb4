"""Does Yiwen hold its latency as data grows? Inbox, search, customer 360 and KPIs
at 10k and at 1M tickets (10 messages each), on SQLite and on PostgreSQL.

The data (bench/growth_data.py) is bulk-loaded straight into a migrated schema,
then each query runs through Yiwen's own service functions, the same code the
HTTP routes call. Every SQL statement a query issues is captured and explained
(EXPLAIN ANALYZE on PostgreSQL, EXPLAIN QUERY PLAN on SQLite) at each size, and
the indexes each plan touches are listed, so an index that stops being used
shows. The target of issue 9 is checked for inbox and search: p50 at the
largest size no more than 2× p50 at the smallest. Customer 360 and KPIs are
reported against the same ratio for information: a KPI over the last 7 days
covers 100× more tickets at 1M than at 10k, so it is expected to grow.

Run: ``python -m bench.bench_data_growth [sqlite] [postgresql] [--sizes 10000,1000000]
[--messages-per-ticket 10] [--out DIR]``. Each size writes ``DIR/<database>-<size>.json``
as soon as it is done; ``--report DIR`` prints the table again from those files.
PostgreSQL runs in a private cluster started like the test suite's
(tests/support/postgres.py), on disk rather than tmpfs above 100k tickets.
At 1M tickets expect about half an hour per database on two cores.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from bench.common import percentile
from bench.growth_data import Generator, Landmarks, load, order_no
from yiwen.analytics.kpis import compute_kpis
from yiwen.analytics.period import Period
from yiwen.auth.models import StaffUser
from yiwen.core.clock import FixedClock, to_local
from yiwen.core.db import Database
from yiwen.customers.models import Customer
from yiwen.migrations import upgrade
from yiwen.search.service import search
from yiwen.store.connectors.demo.connector import DemoStoreConnector
from yiwen.tickets.models import Ticket
from yiwen.tickets.service import TicketFilter, list_tickets
from yiwen.workspace.api import inbox_conversations
from yiwen.workspace.overview import customer_overview

ROOT = Path(__file__).resolve().parent.parent
MAX_REPEAT = 30
MIN_REPEAT = 5
TIME_BUDGET = 6.0  # seconds per query and size
TARGET_RATIO = 2.0
TARGETED = ("inbox", "search")
TMPFS_UP_TO = 100_000


class Context:
    """What the queries need besides the session: the landmarks, a clock, an empty shop."""

    def __init__(self, landmarks: Landmarks, now: datetime, shop_url: str) -> None:
        self.landmarks = landmarks
        self.now = now
        self.clock = FixedClock(now)
        self.store = DemoStoreConnector.open(shop_url, self.clock)


def _tickets(**filters: Any) -> Callable[[Session, Context], object]:
    def run(db: Session, ctx: Context) -> object:
        chosen: dict[str, Any] = {
            k: (ctx.landmarks.agent_id if v == "$agent" else v) for k, v in filters.items()
        }
        return list_tickets(db, TicketFilter(**chosen), cursor=None, limit=50)

    return run


def _conversations(**options: Any) -> Callable[[Session, Context], object]:
    def run(db: Session, ctx: Context) -> object:
        agent = db.get(StaffUser, ctx.landmarks.agent_id)
        assert agent is not None
        settings: dict[str, Any] = {"view": "all", "urgent": False, "at_risk": False}
        return inbox_conversations(
            db,
            agent,
            **{"status_": None, **settings, **options},
            cursor=None,
            limit=50,
            clock=ctx.clock,
        )

    return run


def _search(query: str, kind: str | None = None) -> Callable[[Session, Context], object]:
    def run(db: Session, ctx: Context) -> object:
        words = ctx.landmarks.order_no if query == "$order" else query
        words = ctx.landmarks.order_no[:8] if query == "$order_prefix" else words
        return search(db, words, kind=kind, limit=20)

    return run


def _customer_360(db: Session, ctx: Context) -> object:
    customer = db.get(Customer, ctx.landmarks.customer_id)
    assert customer is not None
    overview = customer_overview(db, ctx.clock, ctx.store, customer)
    rows, _ = list_tickets(db, TicketFilter(customer_id=customer.id), cursor=None, limit=20)
    return overview, rows


def _kpis(days: int, group_by: str | None = None) -> Callable[[Session, Context], object]:
    def run(db: Session, ctx: Context) -> object:
        today = to_local(ctx.now).date()  # periods are Asia/Shanghai days
        period = Period(today - timedelta(days=days - 1), today)
        return compute_kpis(db, period=period, group_by=group_by, agent_id=None, now=ctx.now)

    return run


QUERIES: dict[str, Callable[[Session, Context], object]] = {
    "inbox: all, first page": _tickets(),
    "inbox: open": _tickets(open_only=True),
    "inbox: status pending_supplier": _tickets(statuses=("pending_supplier",)),
    "inbox: status new + open": _tickets(statuses=("new", "open")),
    "inbox: queue finance, open": _tickets(queue="finance", open_only=True),
    "inbox: mine, open": _tickets(assignee_id="$agent", open_only=True),
    "inbox: mine, all": _tickets(assignee_id="$agent"),
    "inbox: unassigned": _tickets(unassigned=True),
    "inbox: category card_invalid, open": _tickets(category="card_invalid", open_only=True),
    "inbox: priority high, open": _tickets(priority="high", open_only=True),
    "inbox: urgent, open": _tickets(urgent=True, open_only=True),
    "inbox: conversations, all": _conversations(),
    "inbox: conversations waiting": _conversations(status_="waiting"),
    "inbox: conversations mine": _conversations(view="mine"),
    "inbox: conversations urgent": _conversations(urgent=True),
    "inbox: conversations at risk": _conversations(at_risk=True),
    "search: common word (王者荣耀)": _search("王者荣耀"),
    "search: two words (原神 充值)": _search("原神 充值"),
    "search: tickets only (会员)": _search("会员", kind="ticket"),
    "search: 1% word (主管)": _search("主管"),
    "search: order number": _search("$order"),
    "search: order number prefix": _search("$order_prefix"),
    "customer 360": _customer_360,
    "KPIs: last 7 days": _kpis(7),
    "KPIs: last 30 days by agent": _kpis(30, "agent"),
}


@contextmanager
def captured(database: Database) -> Iterator[list[tuple[str, Any]]]:
    """The statements (and their parameters) the database receives inside the block."""
    statements: list[tuple[str, Any]] = []

    def remember(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        statements.append((statement, parameters))

    event.listen(database.read_engine, "before_cursor_execute", remember)
    try:
        yield statements
    finally:
        event.remove(database.read_engine, "before_cursor_execute", remember)


@dataclass
class Prepared:
    """One loaded database of the comparison, with what its queries need."""

    tickets: int
    database: Database
    ctx: Context
    generated: dict[str, Any]


def timed_side_by_side(
    sides: list[Prepared], run: Callable[[Session, Context], object]
) -> list[dict[str, float]]:
    """p50 and fastest run (ms) of the query on each database, the runs interleaved.

    The machine is shared with other work, whose load comes and goes: running the
    sizes in turn, one run each, exposes them to the same load, so their ratio
    holds even when the absolute figures do not. The fastest run shows what the
    query costs when nothing else competes for the cores.
    """
    latencies: list[list[float]] = [[] for _ in sides]
    spent = time.perf_counter()
    for attempt in range(MAX_REPEAT + 1):  # the first round warms the caches up
        for side, samples in zip(sides, latencies, strict=True):
            with side.database.reading() as db:
                t0 = time.perf_counter()
                run(db, side.ctx)
                if attempt:
                    samples.append(time.perf_counter() - t0)
        if len(latencies[0]) >= MIN_REPEAT and time.perf_counter() - spent > TIME_BUDGET:
            break
    return [
        {
            "p50_ms": round(percentile(samples, 0.5) * 1000, 2),
            "min_ms": round(min(samples) * 1000, 2),
            "runs": len(samples),
        }
        for samples in latencies
    ]


_USES = (
    re.compile(
        r"(?:Index Only Scan|Index Scan|Bitmap Index Scan)(?: Backward)? (?:using|on) (\w+)"
    ),
    re.compile(r"(Seq Scan on \w+)"),
    re.compile(r"USING (?:COVERING )?INDEX (\w+)"),
    re.compile(r"USING (INTEGER PRIMARY KEY)"),
    re.compile(r"(SCAN \w+(?: VIRTUAL TABLE INDEX \S+)?)\s*$"),
    re.compile(r"(USE TEMP B-TREE FOR [\w ]+)"),
    re.compile(r"(Sort)\b"),
)


def plans(
    database: Database, ctx: Context, run: Callable[[Session, Context], object]
) -> dict[str, Any]:
    """Each statement of one run with its plan, and the indexes (or scans) it uses."""
    with captured(database) as statements, database.reading() as db:
        run(db, ctx)
    explained = []
    uses: list[str] = []
    prefix = (
        "EXPLAIN (ANALYZE, COSTS OFF, SUMMARY OFF) "
        if database.dialect == "postgresql"
        else "EXPLAIN QUERY PLAN "
    )
    raw = database.read_engine.raw_connection()
    try:
        cursor = raw.cursor()
        for statement, parameters in statements:
            if not statement.lstrip().upper().startswith(("SELECT", "WITH")):
                continue
            cursor.execute(prefix + statement, parameters)
            lines = [" ".join(str(c) for c in row)[:300] for row in cursor.fetchall()]
            explained.append({"sql": " ".join(statement.split())[:400], "plan": lines})
            for line in lines:
                for pattern in _USES:
                    uses.extend(
                        m for m in pattern.findall(line) if m not in uses and "anon_" not in m
                    )
        raw.rollback()
    finally:
        raw.close()
    return {"uses": uses, "statements": explained}


def prepare(url: str, tickets: int, per_ticket: int, work: Path) -> Prepared:
    """Load ``tickets`` tickets into the database at ``url`` unless it holds them already
    (``--urls`` reruns the queries on databases loaded before)."""
    upgrade(url)
    database = Database(url)
    found = _loaded(database, tickets)
    if found is None:
        now = datetime.now(UTC).replace(microsecond=0)
        generator = Generator(tickets, per_ticket, now=now)
        generated = load(database, generator)
        landmarks = generator.landmarks
    else:
        now, landmarks = found
        generated = {"reused": True}
    ctx = Context(landmarks, now, f"sqlite:///{work / f'shop{tickets}.db'}")
    return Prepared(tickets, database, ctx, generated)


def measure(sides: list[Prepared]) -> dict[int, dict[str, Any]]:
    """Every query on every database, timed side by side, with its plans at each size."""
    figures: dict[int, dict[str, Any]] = {
        side.tickets: {"generated": side.generated, "load_average": os.getloadavg(), "queries": {}}
        for side in sides
    }
    for name, query in QUERIES.items():
        for side, timing in zip(sides, timed_side_by_side(sides, query), strict=True):
            figures[side.tickets]["queries"][name] = {
                **timing,
                **plans(side.database, side.ctx, query),
            }
        print(
            f"  {name}: "
            + ", ".join(f"{t:,}: {f['queries'][name]['p50_ms']} ms" for t, f in figures.items()),
            file=sys.stderr,
        )
    for side in sides:
        figures[side.tickets]["load_average_after"] = os.getloadavg()
    return figures


def _loaded(database: Database, tickets: int) -> tuple[datetime, Landmarks] | None:
    """The generation instant and landmarks of a database loaded by an earlier run."""
    with database.reading() as db:
        middle = db.execute(
            select(Ticket.customer_id, Customer.created_at)
            .join(Customer, Customer.id == Ticket.customer_id)
            .where(Ticket.number == f"YWG{tickets // 2:09d}")
        ).first()
    if middle is None:
        return None
    return middle[1], Landmarks(customer_id=middle[0], order_no=order_no(tickets // 2))


def run_dialect(
    dialect: str, sizes: list[int], per_ticket: int, work: Path, urls: list[str] | None
) -> dict[int, dict[str, Any]]:
    """Load (or reuse) one database per size, all open at once, and measure them together."""
    server = None
    if urls is None and dialect == "postgresql":
        sys.path.insert(0, str(ROOT))
        from tests.support.postgres import PostgresServer

        if max(sizes) > TMPFS_UP_TO:  # a 1M-ticket cluster is several GB: not in shared RAM
            os.environ["YIWEN_TEST_PG_TMPFS"] = "0"
        server = PostgresServer.start(work / "pg")
        for size in sizes:
            server.create_database(f"growth{size}")
        urls = [server.url(f"growth{size}") for size in sizes]
    elif urls is None:
        urls = [f"sqlite:///{work / f'growth{size}.db'}" for size in sizes]
    sides: list[Prepared] = []
    try:
        for url, size in zip(urls, sizes, strict=True):
            sides.append(prepare(url, size, per_ticket, work))
        return measure(sides)
    finally:
        for side in sides:
            side.database.dispose()
        if server is not None:
            server.stop()


def _ratio(small: dict[str, Any], large: dict[str, Any], key: str) -> float | None:
    if key not in small or key not in large:
        return None  # a file from before the fastest run was recorded
    return float(large[key]) / max(float(small[key]), 0.01)


def report(results: dict[str, dict[int, dict[str, Any]]]) -> str:
    """A table per database: p50 (and fastest run) at each size, the ratios largest/smallest,
    pass/fail against the target on the p50 for inbox and search, and the plan's indexes."""
    lines = []
    for dialect, by_size in results.items():
        sizes = sorted(by_size)
        small, large = by_size[sizes[0]], by_size[sizes[-1]]
        header = " | ".join(f"{s:,} p50 ms" for s in sizes)
        lines += [
            f"\n{dialect}",
            f"| query | {header} | ratio p50 | ratio fastest | ≤ {TARGET_RATIO:g}× (p50) "
            f"| plan at {sizes[-1]:,} |",
            "|---" * (len(sizes) + 5) + "|",
        ]
        for name, figures in large["queries"].items():
            before = small["queries"].get(name)
            if before is None:
                continue
            cells = [f"{by_size[s]['queries'][name]['p50_ms']:.2f}" for s in sizes]
            ratio = _ratio(before, figures, "p50_ms") or 0.0
            fastest = _ratio(before, figures, "min_ms")
            targeted = name.split(":")[0] in TARGETED
            verdict = ("pass" if ratio <= TARGET_RATIO else "FAIL") if targeted else "(info)"
            lines.append(
                f"| {name} | {' | '.join(cells)} | {ratio:.2f} | "
                f"{'' if fastest is None else f'{fastest:.2f}'} | {verdict} | "
                f"{', '.join(figures['uses'])} |"
            )
        for size in sizes:
            lines.append(f"generated at {size:,}: {by_size[size]['generated']}")
    return "\n".join(lines)


def load_saved(directory: Path) -> dict[str, dict[int, dict[str, Any]]]:
    results: dict[str, dict[int, dict[str, Any]]] = {}
    for path in sorted(directory.glob("*-*.json")):
        dialect, size = path.stem.rsplit("-", 1)
        results.setdefault(dialect, {})[int(size)] = json.loads(path.read_text())
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("databases", nargs="*", default=["sqlite", "postgresql"])
    parser.add_argument("--sizes", default="10000,1000000")
    parser.add_argument("--messages-per-ticket", type=int, default=10)
    parser.add_argument("--out", type=Path, help="directory for one JSON file per size")
    parser.add_argument("--report", type=Path, help="print the table of a previous --out")
    parser.add_argument(
        "--urls", help="databases to use (and load, if empty), one per size, comma-separated"
    )
    args = parser.parse_args()
    if args.report:
        print(report(load_saved(args.report)))
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    urls = args.urls.split(",") if args.urls else None
    out = args.out or Path(tempfile.mkdtemp(prefix="yiwen-growth-out-"))
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="yiwen-growth-", dir="/var/tmp") as tmp:
        for dialect in args.databases:
            by_size = run_dialect(dialect, sizes, args.messages_per_ticket, Path(tmp), urls)
            for size, figures in by_size.items():
                (out / f"{dialect}-{size}.json").write_text(
                    json.dumps(figures, ensure_ascii=False, indent=1, default=str)
                )
    print(report(load_saved(out)))
    print(f"\nplans and figures: {out}")


if __name__ == "__main__":
    main()
