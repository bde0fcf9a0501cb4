"""The Alembic migrations create exactly the tables the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from yiwen.core.db import Base, Database
from yiwen.search.index import TABLE_PREFIX
from yiwen.wiring import import_models


def test_models_and_migrations_do_not_drift(database: Database) -> None:
    import_models()
    with database.engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                # The full-text index (and FTS5's shadow tables) live outside the ORM.
                "include_name": lambda name, kind, _parent: (
                    not (kind == "table" and (name or "").startswith(TABLE_PREFIX))
                ),
            },
        )
        differences = compare_metadata(context, Base.metadata)
    assert differences == [], f"run `alembic revision --autogenerate`: {differences}"
