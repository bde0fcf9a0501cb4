"""The throwaway PostgreSQL server behind ``YIWEN_TEST_DB=postgresql``."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import create_engine, pool, text
from sqlalchemy.exc import OperationalError

from tests.support.postgres import PostgresServer

pytestmark = pytest.mark.skipif(
    os.environ.get("YIWEN_TEST_DB") != "postgresql",
    reason="starts a PostgreSQL server; runs only with YIWEN_TEST_DB=postgresql (make test)",
)


def scalar(url: str, query: str) -> object:
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            return connection.execute(text(query)).scalar_one()
    finally:
        engine.dispose()


def test_database_copied_from_template_has_the_template_tables(tmp_path: Path) -> None:
    server = PostgresServer.start(tmp_path / "pg")
    try:
        server.create_database("template_under_test")
        engine = create_engine(server.url("template_under_test"), poolclass=pool.NullPool)
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE shop (id serial PRIMARY KEY, name text)"))
            connection.execute(text("INSERT INTO shop (name) VALUES ('一问小店')"))
        engine.dispose()

        server.create_database("copy_under_test", template="template_under_test")

        assert scalar(server.url("copy_under_test"), "SELECT name FROM shop") == "一问小店"
        assert scalar(server.url("copy_under_test"), "SHOW server_encoding") == "UTF8"
        assert scalar(server.url("postgres"), "SHOW listen_addresses") == "127.0.0.1"
    finally:
        server.stop()


def test_stopped_server_refuses_connections_and_leaves_only_its_log(tmp_path: Path) -> None:
    server = PostgresServer.start(tmp_path / "pg")
    url = server.url("postgres")

    server.stop()

    with pytest.raises(OperationalError):
        scalar(url, "SELECT 1")
    assert [path.name for path in (tmp_path / "pg").iterdir()] == ["postgres.log"]
    assert not (server.home / "data").exists()
