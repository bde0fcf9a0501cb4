"""workforce: the shifts agents are scheduled for (the staffing plan compares them with the need)

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import yiwen.core.db

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

WHEN = yiwen.core.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "workforce_shifts",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("agent_id", sa.String(length=32), nullable=False),
        sa.Column("starts_at", WHEN, nullable=False),
        sa.Column("ends_at", WHEN, nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("created_by", sa.String(length=32), nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(["agent_id"], ["staff_users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_workforce_shift_starts", "workforce_shifts", ["starts_at"])
    op.create_index(
        "ix_workforce_shift_agent_starts", "workforce_shifts", ["agent_id", "starts_at"]
    )
    from yiwen.reports.schema import upgrade_tables

    upgrade_tables()


def downgrade() -> None:
    from yiwen.reports.schema import downgrade_tables

    downgrade_tables()
    op.drop_index("ix_workforce_shift_agent_starts", table_name="workforce_shifts")
    op.drop_index("ix_workforce_shift_starts", table_name="workforce_shifts")
    op.drop_table("workforce_shifts")
