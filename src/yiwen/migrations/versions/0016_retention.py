"""retention: archived_at on conversations, the policy, archives, archived files, legal holds

Revision ID: 0016
Revises: 0015

Nothing is archived by upgrading: the policy row is absent, which means disabled.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import yiwen.core.db

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

WHEN = yiwen.core.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(sa.Column("archived_at", WHEN, nullable=True))
    op.create_table(
        "retention_policy",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("archive_after_days", sa.Integer(), nullable=False),
        sa.Column("purge_after_days", sa.Integer(), nullable=True),
        sa.Column("batch_size", sa.Integer(), nullable=False),
        sa.Column("updated_by_id", sa.String(length=32), nullable=True),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "conversation_archives",
        sa.Column("conversation_id", sa.String(length=32), nullable=False),
        sa.Column("customer_id", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("message_count", sa.Integer(), nullable=False),
        sa.Column("attachment_count", sa.Integer(), nullable=False),
        sa.Column("attachment_bytes", sa.Integer(), nullable=False),
        sa.Column("first_message_at", WHEN, nullable=True),
        sa.Column("last_message_at", WHEN, nullable=True),
        sa.Column("transcript", sa.LargeBinary(), nullable=True),
        sa.Column("transcript_sha256", sa.String(length=64), nullable=False),
        sa.Column("archive_after_days", sa.Integer(), nullable=False),
        sa.Column("archived_at", WHEN, nullable=False),
        sa.Column("purged_at", WHEN, nullable=True),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"]),
        sa.PrimaryKeyConstraint("conversation_id"),
    )
    op.create_index("ix_conversation_archive_archived", "conversation_archives", ["archived_at"])
    op.create_index(
        "ix_conversation_archive_customer",
        "conversation_archives",
        ["customer_id", "archived_at"],
    )
    op.create_table(
        "archived_attachments",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("conversation_id", sa.String(length=32), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content_type", sa.String(length=60), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("customer_id", sa.String(length=32), nullable=False),
        sa.Column("uploaded_by_type", sa.String(length=20), nullable=False),
        sa.Column("uploaded_by_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("purged_at", WHEN, nullable=True),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversation_archives.conversation_id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_archived_attachment_conversation", "archived_attachments", ["conversation_id"]
    )
    op.create_index("ix_archived_attachment_sha", "archived_attachments", ["sha256"])
    op.create_table(
        "retention_holds",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("customer_id", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("placed_by_id", sa.String(length=32), nullable=True),
        sa.Column("placed_at", WHEN, nullable=False),
        sa.Column("released_by_id", sa.String(length=32), nullable=True),
        sa.Column("released_at", WHEN, nullable=True),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_retention_hold_customer", "retention_holds", ["customer_id", "released_at"])


def downgrade() -> None:
    op.drop_index("ix_retention_hold_customer", table_name="retention_holds")
    op.drop_table("retention_holds")
    op.drop_index("ix_archived_attachment_sha", table_name="archived_attachments")
    op.drop_index("ix_archived_attachment_conversation", table_name="archived_attachments")
    op.drop_table("archived_attachments")
    op.drop_index("ix_conversation_archive_customer", table_name="conversation_archives")
    op.drop_index("ix_conversation_archive_archived", table_name="conversation_archives")
    op.drop_table("conversation_archives")
    op.drop_table("retention_policy")
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("archived_at")
