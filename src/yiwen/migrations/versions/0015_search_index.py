"""search: a full-text index of messages and tickets (FTS5 on SQLite, tsvector on PostgreSQL)

Revision ID: 0015
Revises: 0014

Existing messages and tickets are indexed here, in batches, so an upgraded
installation finds its history at once.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

BATCH = 2000


def _backfill() -> None:
    from yiwen.search.terms import index_terms

    bind = op.get_bind()
    table = "search_fts" if bind.dialect.name == "sqlite" else "search_documents"
    insert = sa.text(
        f"INSERT INTO {table} (terms, kind, ref, conversation_id) "
        "VALUES (:terms, :kind, :ref, :conversation_id)"
    )
    tickets = bind.execute(
        sa.text("SELECT id, conversation_id, number, subject FROM tickets ORDER BY created_at, id")
    ).all()
    rows = [
        {
            "terms": index_terms(f"{number} {subject}"),
            "kind": "ticket",
            "ref": id_,
            "conversation_id": conv,
        }
        for id_, conv, number, subject in tickets
    ]
    if rows:
        bind.execute(insert, rows)
    last = 0
    while True:
        batch = bind.execute(
            sa.text(
                "SELECT id, conversation_id, body FROM messages "
                "WHERE id > :last ORDER BY id LIMIT :n"
            ),
            {"last": last, "n": BATCH},
        ).all()
        if not batch:
            break
        last = int(batch[-1][0])
        rows = [
            {"terms": terms, "kind": "message", "ref": str(id_), "conversation_id": conv}
            for id_, conv, body in batch
            if (terms := index_terms(body or ""))
        ]
        if rows:
            bind.execute(insert, rows)


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE search_fts USING fts5("
            "terms, kind UNINDEXED, ref UNINDEXED, conversation_id UNINDEXED, "
            "tokenize = 'unicode61')"
        )
    else:
        op.create_table(
            "search_documents",
            sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
            sa.Column("kind", sa.String(10), nullable=False),
            sa.Column("ref", sa.String(40), nullable=False),
            sa.Column("conversation_id", sa.String(32)),
            sa.Column("terms", sa.Text, nullable=False),
        )
        op.execute(
            "CREATE INDEX ix_search_documents_terms ON search_documents "
            "USING gin (array_to_tsvector(string_to_array(terms, ' ')))"
        )
        op.create_index("ix_search_documents_ref", "search_documents", ["kind", "ref"])
    _backfill()


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE search_fts")
    else:
        op.drop_table("search_documents")
