"""messages: the fast intake path's marks (reactions still to run, attempts so far)

Revision ID: 0018
Revises: 0017

Existing messages had their reactions in their own transaction, so they start
with nothing pending.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.add_column(
            sa.Column("reactions_pending", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(
            sa.Column("reactions_attempts", sa.SmallInteger(), nullable=False, server_default="0")
        )
    op.create_index(
        "ix_message_reactions_pending",
        "messages",
        ["id"],
        postgresql_where=sa.text("reactions_pending"),
        sqlite_where=sa.text("reactions_pending"),
    )


def downgrade() -> None:
    op.drop_index("ix_message_reactions_pending", table_name="messages")
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("reactions_attempts")
        batch.drop_column("reactions_pending")
