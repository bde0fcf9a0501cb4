"""Shared fixtures: a real database per test (SQLite, or PostgreSQL when
``YIWEN_TEST_DB=postgresql``), a fixed clock, the embedded demo shop and the app.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.factories import StaffTeam, make_team
from yiwen.auth import passwords
from yiwen.core.clock import SHANGHAI, FixedClock
from yiwen.core.db import Database
from yiwen.core.settings import Settings
from yiwen.migrations import upgrade
from yiwen.store.connectors.demo.connector import DemoStoreConnector
from yiwen.store.connectors.demo.generator import seed_demo_shop
from yiwen.wiring import install_reactions

TEST_DB = os.environ.get("YIWEN_TEST_DB", "sqlite")
NOW = datetime(2026, 11, 22, 10, 0, tzinfo=SHANGHAI)
DEMO_TEMPLATE_ORDERS = 1000
DEMO_TEMPLATE_SEED = 7


class DatabaseFactory:
    """Makes a fresh, migrated database for each test from a template migrated once."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.server = None
        if TEST_DB == "sqlite":
            self.template = tmp / "template.db"
            upgrade(f"sqlite:///{self.template}")
        elif TEST_DB == "postgresql":
            from tests.support.postgres import PostgresServer

            self.server = PostgresServer.start(tmp / "pg")
            self.server.create_database("yiwen_template")
            upgrade(self.server.url("yiwen_template"))
        else:
            raise RuntimeError(f"YIWEN_TEST_DB must be sqlite or postgresql, not {TEST_DB!r}")

    def new_url(self) -> str:
        name = f"t_{uuid.uuid4().hex[:12]}"
        if self.server is None:
            path = self.tmp / f"{name}.db"
            shutil.copyfile(self.template, path)
            return f"sqlite:///{path}"
        self.server.create_database(name, template="yiwen_template")
        return self.server.url(name)

    def discard(self, url: str) -> None:
        if self.server is None:
            Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
        else:
            self.server.drop_database(url.rsplit("/", 1)[-1].split("?", 1)[0])

    def close(self) -> None:
        if self.server is not None:
            self.server.stop()


@pytest.fixture(scope="session")
def database_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DatabaseFactory]:
    factory = DatabaseFactory(tmp_path_factory.mktemp("db"))
    yield factory
    factory.close()


@pytest.fixture
def database_url(database_factory: DatabaseFactory) -> Iterator[str]:
    url = database_factory.new_url()
    yield url
    database_factory.discard(url)


@pytest.fixture
def database(database_url: str, clock: FixedClock, settings: Settings) -> Iterator[Database]:
    db = Database(database_url)
    db.context.update(clock=clock, settings=settings)
    yield db
    db.dispose()


@pytest.fixture(scope="session", autouse=True)
def reactions_installed() -> None:
    """Features' in-transaction reactions are part of the product, in every test."""
    install_reactions()


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> PasswordHasher:
    """Production argon2 costs ~0.1 s a hash; tests hash hundreds of passwords."""
    cheap = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    monkeypatch.setattr(passwords, "hasher", cheap)
    return cheap


@pytest.fixture
def team(database: Database, clock: FixedClock) -> StaffTeam:
    """One staff member per role (see ``tests.factories``)."""
    return make_team(database, clock)


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo shop seeded once per run; tests work on private copies."""
    path = tmp_path_factory.mktemp("demo_shop") / "template.db"
    connector = DemoStoreConnector.open(f"sqlite:///{path}", FixedClock(NOW))
    seed_demo_shop(connector, orders=DEMO_TEMPLATE_ORDERS, seed=DEMO_TEMPLATE_SEED)
    connector.close()
    return path


@pytest.fixture
def demo_url(demo_template: Path, tmp_path: Path) -> str:
    path = tmp_path / "demo_shop.db"
    shutil.copyfile(demo_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def demo(demo_url: str, clock: FixedClock) -> Iterator[DemoStoreConnector]:
    connector = DemoStoreConnector.open(demo_url, clock)
    yield connector
    connector.close()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def settings(
    tmp_path: Path, database_url: str, demo_url: str, request: pytest.FixtureRequest
) -> Settings:
    deferred = request.node.get_closest_marker("deferred_reactions") is not None
    return Settings(
        data_dir=tmp_path / "var",
        database_url=database_url,
        secret_key="test-secret-key-0123456789abcdef",
        shop_token_secret="shop-secret-for-tests",
        demo_shop_url=demo_url,
        # Tests drive deliveries and jobs themselves (tests/worker/), never in the background.
        worker_embedded=False,
        # A message's effects are checked right after its request; the deferred default is
        # covered by the tests marked ``deferred_reactions`` and every live-server test.
        message_reactions="deferred" if deferred else "inline",
    )


@pytest.fixture
def app(
    settings: Settings, clock: FixedClock, database: Database, demo: DemoStoreConnector
) -> FastAPI:
    from yiwen.web.app import create_app

    return create_app(settings, clock=clock, database=database, store=demo)


@pytest.fixture
def client(app: FastAPI, request: pytest.FixtureRequest) -> Iterator[TestClient]:
    marker = request.node.get_closest_marker("deferred_reactions")
    with TestClient(app) as test_client:
        if marker is not None and marker.kwargs.get("pipeline") == "manual":
            app.state.pipeline.stop()  # the test runs the pipeline's passes itself
        yield test_client
