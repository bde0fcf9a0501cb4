"""The report tables' DDL, called from a migration (the lead's 0012 calls these).

Kept next to the models so the two are read, and changed, together.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import yiwen.core.db

UTC = yiwen.core.db.UTCDateTime(timezone=True)


def upgrade_tables() -> None:
    op.create_table(
        "report_subscriptions",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("recipients", sa.JSON(), nullable=False),
        sa.Column("frequency", sa.String(10), nullable=False),
        sa.Column("hour", sa.SmallInteger(), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("filters", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("last_period_first", sa.Date()),
        sa.Column("last_period_last", sa.Date()),
        sa.Column("last_queued_at", UTC),
        sa.Column("created_by", sa.String(32)),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
    )
    op.create_index(
        "ix_report_subscription_active", "report_subscriptions", ["active", "created_at"]
    )
    op.create_table(
        "report_runs",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column(
            "subscription_id",
            sa.String(32),
            sa.ForeignKey("report_subscriptions.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("period_first", sa.Date(), nullable=False),
        sa.Column("period_last", sa.Date(), nullable=False),
        sa.Column("recipients", sa.JSON(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.UniqueConstraint("subscription_id", "period_first", name="uq_report_run_period"),
    )


def downgrade_tables() -> None:
    op.drop_table("report_runs")
    op.drop_index("ix_report_subscription_active", table_name="report_subscriptions")
    op.drop_table("report_subscriptions")
