"""One private MariaDB per test session holding a dujiaoka shop, shared by every test using it.

The server and the generated shop are made once (a MariaDB start costs seconds)
and kept in a module-level singleton, so the contract suite and the dujiaoka
tests share them. Tests get their own connector (with its own ledger file).
Where MariaDB is missing the tests fail, unless this machine has no apt-get to
install it with (the same rule as the PostgreSQL pass in the Makefile).
"""

from __future__ import annotations

import contextlib
import shutil
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

from tests.conftest import NOW
from tests.support.mariadb import MariaDBServer, find_server
from yiwen.core.clock import FixedClock
from yiwen.store.connectors.dujiaoka.connector import DujiaokaConnector
from yiwen.store.connectors.dujiaoka.generator import ExampleOrder, generate
from yiwen.store.connectors.dujiaoka.replacements import CREATE_TABLE as REPLACEMENTS_TABLE
from yiwen.store.connectors.dujiaoka.schema import load_dump

INSTALL_SQL = Path(__file__).with_name("install.sql")
DATABASE = "dujiaoka"
# The size issue 7's "done" names: lookups are proven on a shop of realistic size.
ORDERS = 10_000
SEED = 11
READER = ("yiwen_ro", "ro-secret")
WRITER = ("yiwen_rw", "rw-secret")


@dataclass
class DujiaokaShop:
    server: MariaDBServer
    examples: dict[str, ExampleOrder]

    def url(self, account: tuple[str, str] = READER, database: str = DATABASE) -> str:
        return self.server.url(account[0], account[1], database)

    def new_database(
        self, name: str, *, orders: int, writable: bool = False
    ) -> dict[str, ExampleOrder]:
        """Another dujiaoka database (for tests that break or write theirs), readable by
        READER; ``writable`` also sets up WRITER's rights as docs/connectors.md does."""
        self.server.execute(
            f"CREATE DATABASE `{name}`", f"GRANT SELECT ON `{name}`.* TO '{READER[0]}'@'%'"
        )
        with contextlib.closing(self.server.admin(name)) as connection:
            load_dump(connection, INSTALL_SQL.read_text())
            examples = generate(connection, orders=orders, seed=SEED, now=NOW)
        if writable:
            grant_writer(self.server, name)
        return examples


def grant_writer(server: MariaDBServer, database: str) -> None:
    """WRITER's rights as docs/connectors.md sets them up: reads, coupons, and replacement
    keys (only the sold flag of carmis, and Yiwen's own record table)."""
    server.execute(REPLACEMENTS_TABLE, database=database)
    server.execute(
        f"GRANT SELECT ON `{database}`.* TO '{WRITER[0]}'@'%'",
        f"GRANT INSERT ON `{database}`.coupons TO '{WRITER[0]}'@'%'",
        f"GRANT INSERT ON `{database}`.coupons_goods TO '{WRITER[0]}'@'%'",
        f"GRANT UPDATE (status, updated_at) ON `{database}`.carmis TO '{WRITER[0]}'@'%'",
        f"GRANT INSERT, UPDATE ON `{database}`.yiwen_carmi_replacements TO '{WRITER[0]}'@'%'",
    )


def require_mariadb() -> None:
    if find_server() is not None:
        return
    if shutil.which("apt-get"):
        pytest.fail(
            "MariaDB is not installed, and the dujiaoka connector tests need it: "
            "apt-get install mariadb-server   (.ci/run does this itself)"
        )
    pytest.skip("!! MariaDB NOT FOUND and no apt-get: the dujiaoka connector tests were SKIPPED")


@cache
def shared_shop() -> DujiaokaShop:
    server = MariaDBServer.start()
    server.execute(
        f"CREATE DATABASE {DATABASE}",
        f"CREATE USER '{READER[0]}'@'%' IDENTIFIED BY '{READER[1]}'",
        f"GRANT SELECT ON {DATABASE}.* TO '{READER[0]}'@'%'",
        f"CREATE USER '{WRITER[0]}'@'%' IDENTIFIED BY '{WRITER[1]}'",
    )
    with contextlib.closing(server.admin(DATABASE)) as connection:
        load_dump(connection, INSTALL_SQL.read_text())
        examples = generate(connection, orders=ORDERS, seed=SEED, now=NOW)
    grant_writer(server, DATABASE)
    return DujiaokaShop(server, examples)


@pytest.fixture
def dujiaoka_shop() -> DujiaokaShop:
    require_mariadb()
    return shared_shop()


def make_connector(
    shop: DujiaokaShop, tmp_path: Path, *, write: bool = True, **overrides: object
) -> DujiaokaConnector:
    options: dict[str, object] = {
        "clock": FixedClock(NOW),
        "ledger_path": tmp_path / "dujiaoka_ledger.db",
        "write_url": shop.url(WRITER) if write else "",
        "timeout": 5.0,
        **overrides,
    }
    url = str(options.pop("url", shop.url()))
    return DujiaokaConnector(url, **options)  # type: ignore[arg-type]


@pytest.fixture
def dujiaoka(dujiaoka_shop: DujiaokaShop, tmp_path: Path):  # type: ignore[no-untyped-def]
    connector = make_connector(dujiaoka_shop, tmp_path)
    yield connector
    connector.close()
