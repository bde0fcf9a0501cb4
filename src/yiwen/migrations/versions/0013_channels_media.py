"""channels: platform media (uploaded ids cached, customer files still to download) and
queued WeCom session state changes

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import yiwen.core.db

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def _account() -> sa.Column[str]:
    return sa.Column(
        "account_id",
        sa.String(32),
        sa.ForeignKey("channel_accounts.id", ondelete="CASCADE"),
        nullable=False,
    )


def _moment(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, yiwen.core.db.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "channel_media_uploads",
        sa.Column(
            "account_id",
            sa.String(32),
            sa.ForeignKey("channel_accounts.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("content_sha256", sa.String(64), primary_key=True),
        sa.Column("media_type", sa.String(20), primary_key=True),
        sa.Column("media_id", sa.String(300), nullable=False),
        _moment("expires_at"),
        _moment("created_at"),
    )
    op.create_table(
        "channel_media_fetches",
        sa.Column("id", sa.String(32), primary_key=True),
        _account(),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("media_id", sa.String(300), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _moment("next_try_at"),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("attachment_id", sa.String(32), nullable=True),
        _moment("created_at"),
        sa.UniqueConstraint("message_id", "media_id", name="uq_media_fetch_message_media"),
    )
    op.create_index("ix_media_fetch_due", "channel_media_fetches", ["status", "next_try_at"])
    op.create_table(
        "wecom_session_changes",
        sa.Column("id", sa.String(32), primary_key=True),
        _account(),
        sa.Column("external_userid", sa.String(100), nullable=False),
        sa.Column("service_state", sa.Integer(), nullable=False),
        sa.Column("servicer_userid", sa.String(64), nullable=False),
        sa.Column("reason", sa.String(150), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _moment("next_try_at"),
        sa.Column("last_error", sa.Text(), nullable=True),
        _moment("created_at"),
        _moment("applied_at", nullable=True),
        sa.UniqueConstraint("account_id", "reason", name="uq_wecom_change_reason"),
    )
    op.create_index("ix_wecom_change_due", "wecom_session_changes", ["status", "next_try_at"])


def downgrade() -> None:
    op.drop_index("ix_wecom_change_due", table_name="wecom_session_changes")
    op.drop_table("wecom_session_changes")
    op.drop_index("ix_media_fetch_due", table_name="channel_media_fetches")
    op.drop_table("channel_media_fetches")
    op.drop_table("channel_media_uploads")
