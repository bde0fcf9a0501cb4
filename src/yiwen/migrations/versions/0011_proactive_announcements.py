"""proactive: announcements, notices to affected customers, opt-outs, proactive care contacts

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import yiwen.core.db

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

UTC = yiwen.core.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "proactive_announcements",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("title", sa.String(100), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("scope", sa.String(12), nullable=False),
        sa.Column("scope_value", sa.String(64)),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("order_nos", sa.JSON(), nullable=False),
        sa.Column("incident_id", sa.String(32)),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("starts_at", UTC, nullable=False),
        sa.Column("ends_at", UTC),
        sa.Column("resolution_text", sa.Text(), nullable=False),
        sa.Column("work_due", sa.String(10)),
        sa.Column("notices_requested_at", UTC),
        sa.Column("notices_done_at", UTC),
        sa.Column("closed_at", UTC),
        sa.Column("close_done_at", UTC),
        sa.Column("created_by", sa.String(32)),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
    )
    op.create_index(
        "ix_announcement_status_start", "proactive_announcements", ["status", "starts_at"]
    )
    op.create_index("ix_announcement_work", "proactive_announcements", ["work_due", "updated_at"])
    op.create_table(
        "proactive_notices",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column(
            "announcement_id",
            sa.String(32),
            sa.ForeignKey("proactive_announcements.id"),
            nullable=False,
        ),
        sa.Column("customer_id", sa.String(32), sa.ForeignKey("customers.id"), nullable=False),
        sa.Column("order_nos", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("channel", sa.String(20)),
        sa.Column("conversation_id", sa.String(32)),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("resolved_status", sa.String(16)),
        sa.Column("resolved_at", UTC),
        sa.UniqueConstraint("announcement_id", "customer_id", name="uq_notice_customer"),
    )
    op.create_index(
        "ix_notice_announcement_status", "proactive_notices", ["announcement_id", "status"]
    )
    op.create_table(
        "proactive_announcement_orders",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column(
            "announcement_id",
            sa.String(32),
            sa.ForeignKey("proactive_announcements.id"),
            nullable=False,
        ),
        sa.Column("order_no", sa.String(64), nullable=False),
        sa.Column("action", sa.String(12), nullable=False),
        sa.Column("reference", sa.String(100)),
        sa.Column("ticket_id", sa.String(32)),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.UniqueConstraint("announcement_id", "order_no", name="uq_announcement_order"),
    )
    op.create_table(
        "proactive_opt_outs",
        sa.Column(
            "customer_id",
            sa.String(32),
            sa.ForeignKey("customers.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
    )
    op.create_table(
        "proactive_care_contacts",
        sa.Column("order_no", sa.String(64), primary_key=True),
        sa.Column("customer_id", sa.String(32), sa.ForeignKey("customers.id"), nullable=False),
        sa.Column("conversation_id", sa.String(32)),
        sa.Column("ticket_id", sa.String(32)),
        sa.Column("product_id", sa.String(64)),
        sa.Column("recent_orders", sa.Integer(), nullable=False),
        sa.Column("frequent_buyer", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("paid_at", UTC),
        sa.Column("created_at", UTC, nullable=False),
    )
    op.create_index("ix_care_contact_created", "proactive_care_contacts", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_care_contact_created", table_name="proactive_care_contacts")
    op.drop_table("proactive_care_contacts")
    op.drop_table("proactive_opt_outs")
    op.drop_table("proactive_announcement_orders")
    op.drop_index("ix_notice_announcement_status", table_name="proactive_notices")
    op.drop_table("proactive_notices")
    op.drop_index("ix_announcement_work", table_name="proactive_announcements")
    op.drop_index("ix_announcement_status_start", table_name="proactive_announcements")
    op.drop_table("proactive_announcements")
