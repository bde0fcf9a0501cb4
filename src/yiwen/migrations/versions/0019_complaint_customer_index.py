"""external_complaints: an index on customer_id

Revision ID: 0019
Revises: 0018

The retention pass asks, for every conversation it may archive, whether its
customer has an open external complaint (yiwen.retention.holds): without this index
each question read the whole table.
"""

from __future__ import annotations

from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_complaint_customer", "external_complaints", ["customer_id"])


def downgrade() -> None:
    op.drop_index("ix_complaint_customer", table_name="external_complaints")
