"""email channel: Message-ID of every mail received or sent, for threading and bounces

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import yiwen.core.db

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "email_messages",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column(
            "account_id",
            sa.String(32),
            sa.ForeignKey("channel_accounts.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("message_id", sa.String(250), nullable=False),
        sa.Column("direction", sa.String(3), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("conversation_id", sa.String(32), nullable=True),
        sa.Column("address", sa.String(254), nullable=False),
        sa.Column("subject", sa.String(500), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_at", yiwen.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("account_id", "message_id", name="uq_email_account_message_id"),
    )
    op.create_index("ix_email_conversation", "email_messages", ["conversation_id", "created_at"])
    op.create_index(
        "ix_email_address_direction", "email_messages", ["address", "direction", "created_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_email_address_direction", table_name="email_messages")
    op.drop_index("ix_email_conversation", table_name="email_messages")
    op.drop_table("email_messages")
