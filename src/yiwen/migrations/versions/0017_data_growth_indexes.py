"""data growth: indexes the inbox needs at a million tickets, and a search index
that can find one document by its reference on SQLite

Revision ID: 0017
Revises: 0016

Measured with bench/bench_data_growth.py (docs/benchmarks.md, "Data growth"):

- the ticket inbox filtered by queue or by the urgent flag walked the status
  index and filtered every row (open urgent tickets on SQLite: 2.5 ms at 10k
  tickets, 23 ms at 100k); ``(queue, status, updated_at, id)`` and ``(urgent, status,
  updated_at, id)`` return such a page in order;
- the conversation inbox pages on ``(last_message_at, id)``: "all" read and
  sorted every conversation, and the status and assignee indexes lacked the id,
  so ties had to be sorted; the open tickets of a page of conversations are
  found by ``(conversation_id, status)`` (SQLite, which has no statistics,
  walked every open ticket by the status index instead);
- the KPI backlog counted its unresolved tickets row by row through the
  ``resolved_at`` index; a partial index of them, ``(created_at, status) WHERE
  resolved_at IS NULL``, answers the counts from the index alone;
- on SQLite the FTS5 table kept ``ref`` unindexed, so removing one message's
  words (retention, edits) scanned the whole index; the table is rebuilt with
  ``ref`` as an indexed column (its rowids kept, so the search cursors stay valid).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

_FTS_COLUMNS = "terms, kind, ref, conversation_id"


def _rebuild_fts(*, ref_indexed: bool) -> None:
    ref = "ref" if ref_indexed else "ref UNINDEXED"
    op.execute(
        "CREATE VIRTUAL TABLE search_fts_rebuilt USING fts5("
        f"terms, kind UNINDEXED, {ref}, conversation_id UNINDEXED, tokenize = 'unicode61')"
    )
    op.execute(
        f"INSERT INTO search_fts_rebuilt (rowid, {_FTS_COLUMNS}) "
        f"SELECT rowid, {_FTS_COLUMNS} FROM search_fts"
    )
    op.execute("DROP TABLE search_fts")
    op.execute("ALTER TABLE search_fts_rebuilt RENAME TO search_fts")


def upgrade() -> None:
    op.create_index(
        "ix_ticket_queue_status_updated", "tickets", ["queue", "status", "updated_at", "id"]
    )
    op.create_index(
        "ix_ticket_urgent_status_updated", "tickets", ["urgent", "status", "updated_at", "id"]
    )
    op.create_index("ix_conversation_last", "conversations", ["last_message_at", "id"])
    op.create_index(
        "ix_ticket_kpi_unresolved",
        "tickets",
        ["created_at", "status"],
        postgresql_where=sa.text("resolved_at IS NULL"),
        sqlite_where=sa.text("resolved_at IS NULL"),
    )
    op.drop_index("ix_ticket_conversation", table_name="tickets")
    op.create_index("ix_ticket_conversation", "tickets", ["conversation_id", "status"])
    for name, lead in (
        ("ix_conversation_status_last", "status"),
        ("ix_conversation_assignee_last", "assignee_id"),
    ):
        op.drop_index(name, table_name="conversations")
        op.create_index(name, "conversations", [lead, "last_message_at", "id"])
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_fts(ref_indexed=True)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_fts(ref_indexed=False)
    for name, lead in (
        ("ix_conversation_status_last", "status"),
        ("ix_conversation_assignee_last", "assignee_id"),
    ):
        op.drop_index(name, table_name="conversations")
        op.create_index(name, "conversations", [lead, "last_message_at"])
    op.drop_index("ix_conversation_last", table_name="conversations")
    op.drop_index("ix_ticket_kpi_unresolved", table_name="tickets")
    op.drop_index("ix_ticket_conversation", table_name="tickets")
    op.create_index("ix_ticket_conversation", "tickets", ["conversation_id"])
    op.drop_index("ix_ticket_urgent_status_updated", table_name="tickets")
    op.drop_index("ix_ticket_queue_status_updated", table_name="tickets")
