"""Shop connectors: dujiaoka lookups on MariaDB with 10,000 orders, HTTP connector round trips.

Starts a private MariaDB (Debian's mariadb-server), loads dujiaoka's install.sql,
generates 10,000 orders, and times get_order by order number and find_orders by
email through the dujiaoka connector (one thread, read-only account). Then the
HTTP connector against the reference server (uvicorn on loopback, the demo shop
in SQLite), timing signed get_order round trips.
"""

from __future__ import annotations

import contextlib
import random
import tempfile
import time
from datetime import datetime
from pathlib import Path

from tests.support.live import serve
from tests.support.mariadb import MariaDBServer

from bench.common import percentile
from yiwen.core.clock import FixedClock, SystemClock
from yiwen.store.connectors.demo.connector import DemoStoreConnector
from yiwen.store.connectors.demo.generator import seed_demo_shop
from yiwen.store.connectors.dujiaoka.connector import DujiaokaConnector
from yiwen.store.connectors.dujiaoka.generator import generate
from yiwen.store.connectors.dujiaoka.schema import load_dump
from yiwen.store.connectors.http.client import HttpStoreConnector
from yiwen.store.connectors.http.reference.server import create_app

ORDERS = 10_000
LOOKUPS = 2000
ROUND_TRIPS = 500
INSTALL_SQL = Path(__file__).resolve().parent.parent / "tests/store/dujiaoka/install.sql"


def _dujiaoka(tmp: Path) -> dict[str, object]:
    server = MariaDBServer.start()
    try:
        server.execute(
            "CREATE DATABASE dujiaoka",
            "CREATE USER 'ro'@'%' IDENTIFIED BY 'ro'",
            "GRANT SELECT ON dujiaoka.* TO 'ro'@'%'",
        )
        now = datetime.now().astimezone()
        started = time.perf_counter()
        with contextlib.closing(server.admin("dujiaoka")) as connection:
            load_dump(connection, INSTALL_SQL.read_text())
            generate(connection, orders=ORDERS, seed=3, now=now)
            with connection.cursor() as cursor:
                cursor.execute("SELECT order_sn, email FROM orders")
                rows = list(cursor.fetchall())
        generated = time.perf_counter() - started
        connector = DujiaokaConnector(
            server.url("ro", "ro", "dujiaoka"), clock=SystemClock(), ledger_path=tmp / "l.db"
        )
        rng = random.Random(5)
        sample = [rng.choice(rows) for _ in range(LOOKUPS)]
        by_number = []
        for order_sn, _email in sample:
            t = time.perf_counter()
            connector.get_order(order_sn)
            by_number.append((time.perf_counter() - t) * 1000)
        by_email = []
        for _sn, email in sample:
            t = time.perf_counter()
            connector.find_orders(contact=email, limit=20)
            by_email.append((time.perf_counter() - t) * 1000)
        connector.close()
        return {
            "orders": len(rows),
            "load schema + generate (s)": round(generated, 2),
            "get_order by order_sn: lookups/s": round(LOOKUPS / (sum(by_number) / 1000), 1),
            "get_order p50 / p99 (ms)": [
                round(percentile(by_number, 0.5), 2),
                round(percentile(by_number, 0.99), 2),
            ],
            "find_orders by email: lookups/s": round(LOOKUPS / (sum(by_email) / 1000), 1),
            "find_orders p50 / p99 (ms)": [
                round(percentile(by_email, 0.5), 2),
                round(percentile(by_email, 0.99), 2),
            ],
        }
    finally:
        server.stop()


def _http(tmp: Path) -> dict[str, object]:
    shop = DemoStoreConnector.open(
        f"sqlite:///{tmp / 'shop.db'}", FixedClock(datetime.now().astimezone())
    )
    seed_demo_shop(shop, orders=1000, seed=7)
    numbers = [e.order_no for e in shop.example_orders().values()]
    with serve(create_app(shop, {"bench": "bench-secret"})) as url:
        client = HttpStoreConnector(url, key_id="bench", secret="bench-secret")
        for order_no in numbers:  # warm-up
            client.get_order(order_no)
        times = []
        for i in range(ROUND_TRIPS):
            t = time.perf_counter()
            client.get_order(numbers[i % len(numbers)])
            times.append((time.perf_counter() - t) * 1000)
        client.close()
    shop.close()
    return {
        "signed get_order round trips": ROUND_TRIPS,
        "p50 / p99 (ms)": [round(percentile(times, 0.5), 2), round(percentile(times, 0.99), 2)],
    }


def run() -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        return {"dujiaoka on MariaDB": _dujiaoka(Path(tmp)), "http connector": _http(Path(tmp))}


if __name__ == "__main__":
    import json

    print(json.dumps(run(), ensure_ascii=False, indent=2))
