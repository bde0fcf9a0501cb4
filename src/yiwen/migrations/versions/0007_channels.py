"""channels: accounts with sealed secrets, inbound receipts, sync cursors

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import yiwen.core.db

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "channel_accounts",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("sealed_secrets", sa.Text(), nullable=False),
        sa.Column("created_at", yiwen.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", yiwen.core.db.UTCDateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_channel_account_channel", "channel_accounts", ["channel", "enabled"])
    op.create_table(
        "channel_inbound_receipts",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column(
            "account_id",
            sa.String(32),
            sa.ForeignKey("channel_accounts.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("external_msg_id", sa.String(200), nullable=False),
        sa.Column("conversation_id", sa.String(32), nullable=True),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("received_at", yiwen.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("account_id", "external_msg_id", name="uq_inbound_account_msg"),
    )
    op.create_table(
        "channel_cursors",
        sa.Column(
            "account_id",
            sa.String(32),
            sa.ForeignKey("channel_accounts.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("name", sa.String(50), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_at", yiwen.core.db.UTCDateTime(timezone=True), nullable=False),
    )
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(sa.Column("channel_account_id", sa.String(32), nullable=True))
        batch.create_index("ix_conversation_channel_account", ["channel_account_id", "customer_id"])


def downgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.drop_index("ix_conversation_channel_account")
        batch.drop_column("channel_account_id")
    op.drop_table("channel_cursors")
    op.drop_table("channel_inbound_receipts")
    op.drop_index("ix_channel_account_channel", table_name="channel_accounts")
    op.drop_table("channel_accounts")
