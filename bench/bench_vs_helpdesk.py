"""Yiwen and django-helpdesk side by side: the same work, the same database, one run.

django-helpdesk (from PyPI, pinned below) is installed into its own virtualenv
(``.bench/helpdesk-venv``) and served by gunicorn, one process with eight
threads; Yiwen by uvicorn, one process (its default thread pool). Both get the
same concurrent HTTP clients on loopback and the same SQLite pragmas (WAL,
synchronous=NORMAL) or the same PostgreSQL server. The peer sends no mail;
Yiwen still writes its notification outbox rows, SLA clocks, routing entries and
search index in each request's transaction, so differences favour the peer.

Work measured on each database:

- ticket creation with a first message: Yiwen's portal form
  (``POST /api/v1/customer/tickets``) against django-helpdesk's REST API
  (``POST /api/tickets/``);
- follow-ups: a customer's message on the ticket's conversation
  (``POST /api/v1/customer/conversations/{id}/messages``), and an agent's reply
  (``POST /api/v1/tickets/{id}/replies``), against ``POST /api/followups/``;
- a queue's first page of 25 open tickets: ``GET /api/v1/tickets?category=…``
  against the JSON endpoint the helpdesk's own ticket list calls
  (``/datatables_ticket_list/<query>`` filtered to the queue);
- text search for a word: ``GET /api/v1/search?q=…&kind=ticket`` against the
  same datatables endpoint with a ``search_string``.

Raw insert rate: one message-shaped row per transaction straight through the
database driver (sqlite3 / psycopg, as many connections as HTTP clients), the
ceiling any HTTP ingest on that database works under.

Run: ``python -m bench.bench_vs_helpdesk`` (also part of ``make bench``).
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import venv
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import httpx
from sqlalchemy import func, select

from bench.common import free_port, percentile, running_server, running_worker
from bench.loadgen import Answer, Call, run_calls
from yiwen.auth.service import create_staff
from yiwen.conversations.models import Message
from yiwen.core.clock import SystemClock
from yiwen.core.db import Database
from yiwen.migrations import upgrade

ROOT = Path(__file__).resolve().parent.parent
PEER_VENV = ROOT / ".bench" / "helpdesk-venv"
PEER_REQUIREMENTS = ("django-helpdesk==2.6.1", "gunicorn==27.0.1", "psycopg2-binary==2.9.13")
CLIENTS = 8
TICKETS = 300
FOLLOWUPS_PER_TICKET = 4
READS = 150
# Yiwen's app processes on PostgreSQL (plus one `yiwen worker`); the peer gets as many
# gunicorn workers as Yiwen has processes in all.
APP_PROCESSES = 2
PASSWORD = "Bench-passw0rd!"
GAMES = ("王者荣耀", "和平精英", "原神", "腾讯视频", "爱奇艺", "网易云音乐", "英雄联盟", "穿越火线")
PROBLEMS = ("点券没到账", "卡密无效", "充值失败", "会员没开通", "重复扣款", "激活码已被使用")


@dataclass
class Timing:
    count: int
    seconds: float
    latencies: list[float]
    errors: int

    def summary(self) -> dict[str, float]:
        return {
            "ops": self.count,
            "per_s": round(self.count / self.seconds, 1) if self.seconds else 0.0,
            "p50_ms": round(percentile(self.latencies, 0.5) * 1000, 1),
            "p99_ms": round(percentile(self.latencies, 0.99) * 1000, 1),
            "errors": self.errors,
        }


def ticket_text(n: int) -> tuple[str, str]:
    rng = random.Random(n)
    game, problem = rng.choice(GAMES), rng.choice(PROBLEMS)
    order = f"K{rng.randrange(10**11, 10**12)}"
    return f"{game}{problem}", f"订单 {order} 买的{game}，{problem}，麻烦尽快处理。"


async def run_concurrently(
    calls: list[Call],
    base: str,
    headers: dict[str, str] | None = None,
    cookies: dict[str, str] | None = None,
) -> tuple[Timing, list[Answer]]:
    """Sends ``calls`` on ``CLIENTS`` connections (bench.loadgen); returns their timing and
    answers in order."""
    common = dict(headers or {})
    if cookies:
        common["Cookie"] = "; ".join(f"{name}={value}" for name, value in cookies.items())
    run = await run_calls(base, calls, clients=CLIENTS, headers=common)
    return Timing(len(calls), run.seconds, run.latencies, run.errors), run.answers


# --- django-helpdesk ---------------------------------------------------------------------


def ensure_peer_venv() -> Path:
    """The peer's own virtualenv with the pinned packages (built once, reused)."""
    python = PEER_VENV / "bin" / "python"
    stamp = PEER_VENV / ".installed"
    wanted = "\n".join(PEER_REQUIREMENTS)
    if not stamp.exists() or stamp.read_text() != wanted:
        venv.EnvBuilder(with_pip=True, clear=True).create(PEER_VENV)
        subprocess.run(
            [
                str(python),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                *list(PEER_REQUIREMENTS),
            ],
            check=True,
        )
        stamp.write_text(wanted)
    return python


def peer_env(database_url: str, media: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PEER_DATABASE_URL": database_url.replace("postgresql+psycopg://", "postgresql://"),
        "PEER_MEDIA_ROOT": str(media),
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "bench.helpdesk_peer.settings",
    }


@contextmanager
def running_peer(
    database_url: str, work: Path, processes: int = 1
) -> Iterator[tuple[str, dict[str, object]]]:
    python = ensure_peer_venv()
    env = peer_env(database_url, work / "media")
    setup = subprocess.run(
        [str(python), "-m", "bench.helpdesk_peer.setup_peer"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    credentials = json.loads(setup.stdout.strip().splitlines()[-1])
    port = free_port()
    command = [
        str(PEER_VENV / "bin" / "gunicorn"),
        f"--workers={processes}",
        "--threads=8",
        "--worker-class=gthread",
        f"--bind=127.0.0.1:{port}",
        "--log-level=warning",
        "bench.helpdesk_peer.wsgi:application",
    ]
    process = subprocess.Popen(command, env=env, cwd=work)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                httpx.get(f"{base}/api/", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            raise RuntimeError("django-helpdesk did not start")
        yield base, credentials
    finally:
        process.terminate()
        process.wait(timeout=10)


def datatables_path(queue: object, search: str = "") -> str:
    query = {
        "filtering": {"queue__id__in": [queue], "status__in": [1, 2]},
        "sorting": "created",
        "sortreverse": True,
        "search_string": search,
    }
    encoded = base64.b64encode(json.dumps(query).encode()).decode()
    return f"/datatables_ticket_list/{encoded}?draw=1&start=0&length=25"


async def measure_peer(base: str, credentials: dict[str, object]) -> dict[str, dict[str, float]]:
    token = {"Authorization": f"Token {credentials['token']}"}
    queue = credentials["queue"]

    def create(n: int) -> Call:
        title, body = ticket_text(n)
        payload = {
            "queue": queue,
            "title": title,
            "description": body,
            "submitter_email": f"buyer{n}@example.com",
            "priority": 3,
        }
        return Call("POST", "/api/tickets/", payload)

    created, responses = await run_concurrently([create(n) for n in range(TICKETS)], base, token)
    ids = [cast(dict[str, int], r.json())["id"] for r in responses if r.status_code == 201]

    def follow(ticket: int, n: int) -> Call:
        payload = {"ticket": ticket, "comment": f"第{n}次催：还没到账，请尽快", "public": True}
        return Call("POST", "/api/followups/", payload)

    followed, _ = await run_concurrently(
        [follow(t, n) for n in range(FOLLOWUPS_PER_TICKET) for t in ids], base, token
    )
    session = {"sessionid": str(credentials["session"])}
    listed, _ = await run_concurrently(
        [Call("GET", datatables_path(queue)) for _ in range(READS)], base, cookies=session
    )
    searched, answers = await run_concurrently(
        [Call("GET", datatables_path(queue, GAMES[n % 4])) for n in range(READS)],
        base,
        cookies=session,
    )
    hits = cast(dict[str, int], answers[0].json())["recordsFiltered"] if answers else 0
    return {
        "create ticket": created.summary(),
        "follow-up": followed.summary(),
        "list queue (25)": listed.summary(),
        "search": {**searched.summary(), "first_query_hits": hits},
    }


# --- Yiwen ------------------------------------------------------------------------------


def pending_reactions(database_url: str) -> int:
    database = Database(database_url)
    try:
        with database.reading() as db:
            query = select(func.count()).select_from(Message).where(Message.reactions_pending)
            return int(db.scalar(query) or 0)
    finally:
        database.dispose()


async def wait_for_reactions(database_url: str, limit_s: float = 300.0) -> float:
    """Seconds until every acknowledged message has had its reactions (SLA, routing,
    search, realtime, bot) in the message pipeline."""
    t0 = time.perf_counter()
    while pending_reactions(database_url) and time.perf_counter() - t0 < limit_s:
        await asyncio.sleep(0.05)
    return time.perf_counter() - t0


async def measure_yiwen(base: str, database_url: str) -> dict[str, dict[str, float]]:
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        login = await http.post(
            "/api/v1/auth/login", json={"username": "bench", "password": PASSWORD}
        )
        login.raise_for_status()
    staff = {"Authorization": f"Bearer {login.json()['token']}"}

    def create(n: int) -> Call:
        title, body = ticket_text(n)
        payload = {
            "category": "other",
            "description": f"{title}：{body}",
            "demand": "explain",
            "contact": f"buyer{n}@example.com",
        }
        return Call("POST", "/api/v1/customer/tickets", payload)

    created, responses = await run_concurrently([create(n) for n in range(TICKETS)], base)
    made = [cast(dict[str, object], r.json()) for r in responses if r.status_code == 201]

    def say(item: dict[str, object], n: int) -> Call:
        conversation = item["conversation"]
        assert isinstance(conversation, dict)
        url = f"/api/v1/customer/conversations/{conversation['id']}/messages"
        headers = {"X-Conversation-Token": str(item["token"])}
        payload = {"client_msg_id": f"f{n}", "body": f"第{n}次催：还没到账，请尽快"}
        return Call("POST", url, payload, headers)

    said, _ = await run_concurrently(
        [say(item, n) for n in range(FOLLOWUPS_PER_TICKET) for item in made], base
    )
    drained = await wait_for_reactions(database_url)
    left = pending_reactions(database_url)

    ticket_ids: list[str] = []
    async with httpx.AsyncClient(base_url=base, headers=staff, timeout=30) as http:
        cursor: str | None = None
        while True:
            params = {"limit": 100, **({"cursor": cursor} if cursor else {})}
            page = (await http.get("/api/v1/tickets", params=params)).json()
            ticket_ids.extend(item["id"] for item in page["items"])
            cursor = page["next_cursor"]
            if not cursor:
                break

    def reply(ticket_id: str, n: int) -> Call:
        payload = {"body": f"您好，第{n}次回复：正在为您核实订单"}
        return Call("POST", f"/api/v1/tickets/{ticket_id}/replies", payload)

    replied, _ = await run_concurrently(
        [reply(t, n) for n in range(FOLLOWUPS_PER_TICKET) for t in ticket_ids], base, staff
    )
    listed, _ = await run_concurrently(
        [
            Call(
                "GET",
                "/api/v1/tickets",
                params={"category": "other", "open_only": "true", "limit": 25},
            )
            for _ in range(READS)
        ],
        base,
        staff,
    )
    searched, answers = await run_concurrently(
        [
            Call("GET", "/api/v1/search", params={"q": GAMES[n % 4], "kind": "ticket", "limit": 25})
            for n in range(READS)
        ],
        base,
        staff,
    )
    first = cast(dict[str, list[object]], answers[0].json()) if answers else {}
    hits = len(first.get("items", [])) if answers and answers[0].status_code == 200 else 0
    return {
        "create ticket": created.summary(),
        "follow-up": said.summary(),
        "follow-up reactions done": {
            "seconds_after_last_ack": round(drained, 2),
            "per_s": round(said.count / (said.seconds + drained), 1),
            "still_pending": left,
        },
        "agent reply": replied.summary(),
        "list queue (25)": listed.summary(),
        "search": {**searched.summary(), "first_query_hits": hits},
    }


def prepare_yiwen(database_url: str) -> None:
    upgrade(database_url)
    database = Database(database_url)
    with database.transaction() as db:
        create_staff(
            db,
            SystemClock(),
            username="bench",
            password=PASSWORD,
            display_name="压测客服",
            role="admin",
        )
    database.dispose()


# --- raw inserts ------------------------------------------------------------------------

RAW_ROWS = 4000
RAW_TABLE = (
    "CREATE TABLE raw_messages (id {pk}, conversation_id VARCHAR(32) NOT NULL, "
    "sender_type VARCHAR(20) NOT NULL, body TEXT NOT NULL, created_at VARCHAR(40) NOT NULL)"
)

RAW_INSERT = (
    "INSERT INTO raw_messages (conversation_id, sender_type, body, created_at) "
    "VALUES ({p}, {p}, {p}, {p})"
)


def raw_insert_rate(database_url: str) -> float:
    """Rows per second, one INSERT and COMMIT per row, ``CLIENTS`` connections at once."""
    per_client = RAW_ROWS // CLIENTS
    if database_url.startswith("sqlite:///"):
        path = database_url.removeprefix("sqlite:///") + ".raw"

        def connect() -> sqlite3.Connection:
            connection = sqlite3.connect(path, timeout=30, isolation_level=None)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            return connection

        connect().execute(RAW_TABLE.format(pk="INTEGER PRIMARY KEY"))
        sql = RAW_INSERT.format(p="?")

        def work(index: int) -> None:
            connection = connect()
            for n in range(per_client):
                connection.execute("BEGIN IMMEDIATE")
                connection.execute(
                    sql, (f"c{index}", "customer", f"第{n}次催：还没到账", "2026-11-23")
                )
                connection.execute("COMMIT")
            connection.close()
    else:
        import psycopg

        plain = database_url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(plain, autocommit=True) as connection:
            connection.execute(RAW_TABLE.format(pk="BIGSERIAL PRIMARY KEY"))
        sql = RAW_INSERT.format(p="%s")

        def work(index: int) -> None:
            with psycopg.connect(plain, autocommit=True) as connection:
                for n in range(per_client):
                    connection.execute(
                        sql, (f"c{index}", "customer", f"第{n}次催：还没到账", "2026-11-23")
                    )

    threads = [threading.Thread(target=work, args=(i,)) for i in range(CLIENTS)]
    t0 = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return round(per_client * CLIENTS / (time.perf_counter() - t0), 1)


# --- the run ----------------------------------------------------------------------------


def ratio(a: float, b: float) -> float:
    return round(a / b, 3) if b else float("inf")


def compare(
    database: str, yiwen_url: str, peer_url: str, raw_url: str, work: Path
) -> dict[str, object]:
    """On SQLite each side is one process (Yiwen's default layout: jobs and message
    reactions in the app process). On PostgreSQL each side gets three processes: Yiwen
    its production layout (two app processes and a `yiwen worker`, Redis between them,
    docs/operations.md), django-helpdesk three gunicorn workers."""
    prepare_yiwen(yiwen_url)
    if database == "postgresql":
        sys.path.insert(0, str(ROOT))
        from tests.support.redis import RedisServer

        (work / "redis").mkdir(exist_ok=True)
        redis_server = RedisServer.start(work / "redis")
        try:
            with (
                running_server(
                    work / "yiwen",
                    workers=APP_PROCESSES,
                    database_url=yiwen_url,
                    redis_url=redis_server.url,
                ) as base,
                running_worker(work / "yiwen", database_url=yiwen_url, redis_url=redis_server.url),
            ):
                yiwen = asyncio.run(measure_yiwen(base, yiwen_url))
        finally:
            redis_server.stop()
        processes = APP_PROCESSES + 1
    else:
        with running_server(work / "yiwen", database_url=yiwen_url) as base:
            yiwen = asyncio.run(measure_yiwen(base, yiwen_url))
        processes = 1
    with running_peer(peer_url, work / "peer", processes) as (base, credentials):
        peer = asyncio.run(measure_peer(base, credentials))
    raw = raw_insert_rate(raw_url)
    ingest = yiwen["follow-up"]["per_s"]
    return {
        "yiwen": yiwen,
        "django_helpdesk": peer,
        "raw_inserts_per_s": raw,
        "ratios": {
            "create ticket (yiwen/peer throughput)": ratio(
                yiwen["create ticket"]["per_s"], peer["create ticket"]["per_s"]
            ),
            "customer message vs follow-up (throughput)": ratio(ingest, peer["follow-up"]["per_s"]),
            "customer message with its reactions done vs follow-up": ratio(
                yiwen["follow-up reactions done"]["per_s"], peer["follow-up"]["per_s"]
            ),
            "agent reply vs follow-up (throughput)": ratio(
                yiwen["agent reply"]["per_s"], peer["follow-up"]["per_s"]
            ),
            "list queue (peer p50 / yiwen p50)": ratio(
                peer["list queue (25)"]["p50_ms"], yiwen["list queue (25)"]["p50_ms"]
            ),
            "search (peer p50 / yiwen p50)": ratio(
                peer["search"]["p50_ms"], yiwen["search"]["p50_ms"]
            ),
            "message ingest / raw insert rate": ratio(ingest, raw),
        },
    }


def run(databases: tuple[str, ...] = ("sqlite", "postgresql")) -> dict[str, object]:
    results: dict[str, object] = {
        "clients": CLIENTS,
        "tickets": TICKETS,
        "followups_per_ticket": FOLLOWUPS_PER_TICKET,
    }
    with tempfile.TemporaryDirectory(prefix="yiwen-vs-helpdesk-") as tmp:
        work = Path(tmp)
        for sub in ("yiwen", "peer", "pg"):
            (work / sub).mkdir()
        if "sqlite" in databases:
            results["sqlite"] = compare(
                "sqlite",
                f"sqlite:///{work / 'yiwen' / 'yiwen.db'}",
                f"sqlite:///{work / 'peer' / 'peer.db'}",
                f"sqlite:///{work / 'raw.db'}",
                work,
            )
        if "postgresql" in databases:
            sys.path.insert(0, str(ROOT))
            from tests.support.postgres import PostgresServer

            server = PostgresServer.start(work / "pg")
            try:
                for name in ("yiwen_bench", "peer_bench", "raw_bench"):
                    server.create_database(name)
                results["postgresql"] = compare(
                    "postgresql",
                    server.url("yiwen_bench"),
                    server.url("peer_bench"),
                    server.url("raw_bench"),
                    work,
                )
            finally:
                server.stop()
    return results


if __name__ == "__main__":
    chosen = tuple(sys.argv[1:]) or ("sqlite", "postgresql")
    print(json.dumps(run(chosen), ensure_ascii=False, indent=2))
