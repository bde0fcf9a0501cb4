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
from fastapi import FastAPI
from fastapi.testclient import TestClient

from yiwen.core.clock import SHANGHAI, FixedClock
from yiwen.core.db import Database
from yiwen.core.settings import Settings
from yiwen.migrations import upgrade

TEST_DB = os.environ.get("YIWEN_TEST_DB", "sqlite")
NOW = datetime(2026, 11, 22, 10, 0, tzinfo=SHANGHAI)


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

    def close(self) -> None:
        if self.server is not None:
            self.server.stop()


@pytest.fixture(scope="session")
def database_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DatabaseFactory]:
    factory = DatabaseFactory(tmp_path_factory.mktemp("db"))
    yield factory
    factory.close()


@pytest.fixture
def database_url(database_factory: DatabaseFactory) -> str:
    return database_factory.new_url()


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    db = Database(database_url)
    yield db
    db.dispose()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        data_dir=tmp_path / "var",
        database_url=database_url,
        secret_key="test-secret-key-0123456789abcdef",
        shop_token_secret="shop-secret-for-tests",
        demo_shop_url=f"sqlite:///{tmp_path / 'demo_shop.db'}",
    )


@pytest.fixture
def app(settings: Settings, clock: FixedClock, database: Database) -> FastAPI:
    from yiwen.web.app import create_app

    return create_app(settings, clock=clock, database=database)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client
