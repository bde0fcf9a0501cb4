"""notify outbox, webhook endpoints and worker job leases

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import yiwen.core.db

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notify_outbox",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("event", sa.String(length=64), nullable=False),
        sa.Column("recipient", sa.String(length=500), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", yiwen.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", yiwen.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", yiwen.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", yiwen.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("idempotency_key"),
    )
    with op.batch_alter_table("notify_outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_created", ["created_at", "id"], unique=False)
        batch_op.create_index("ix_outbox_due", ["status", "next_attempt_at"], unique=False)
        batch_op.create_index(
            "ix_outbox_status_updated", ["status", "updated_at", "id"], unique=False
        )

    op.create_table(
        "notify_webhooks",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("secret", sa.String(length=200), nullable=False),
        sa.Column("events", sa.JSON(), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", yiwen.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", yiwen.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("notify_webhooks", schema=None) as batch_op:
        batch_op.create_index("ix_webhook_active", ["active", "created_at"], unique=False)

    op.create_table(
        "worker_job_leases",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("next_run_at", yiwen.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("holder", sa.String(length=100), nullable=True),
        sa.Column("lease_until", yiwen.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_started_at", yiwen.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_finished_at", yiwen.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("worker_job_leases")
    with op.batch_alter_table("notify_webhooks", schema=None) as batch_op:
        batch_op.drop_index("ix_webhook_active")
    op.drop_table("notify_webhooks")
    with op.batch_alter_table("notify_outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_status_updated")
        batch_op.drop_index("ix_outbox_due")
        batch_op.drop_index("ix_outbox_created")
    op.drop_table("notify_outbox")
