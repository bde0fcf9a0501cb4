"""identity linking (proofs, merges) and external complaints; fixed SLA deadlines

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import yiwen.core.db

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

UTC = yiwen.core.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "identity_verifications",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("customer_id", sa.String(32), sa.ForeignKey("customers.id"), nullable=False),
        sa.Column("method", sa.String(20), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("target", sa.String(200), nullable=False),
        sa.Column("order_no", sa.String(64)),
        sa.Column("code_hash", sa.String(64)),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("expires_at", UTC, nullable=False),
        sa.Column("confirmed_at", UTC),
        sa.Column("created_at", UTC, nullable=False),
    )
    op.create_index(
        "ix_identity_verification_customer", "identity_verifications", ["customer_id", "created_at"]
    )
    op.create_index(
        "ix_identity_verification_target", "identity_verifications", ["target", "created_at"]
    )
    op.create_table(
        "identity_proofs",
        sa.Column(
            "identity_id",
            sa.String(32),
            sa.ForeignKey("customer_identities.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("reference", sa.String(100)),
        sa.Column("was_verified", sa.Boolean(), nullable=False),
        sa.Column("verified_at", UTC, nullable=False),
    )
    op.create_table(
        "customer_merges",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("survivor_id", sa.String(32), sa.ForeignKey("customers.id"), nullable=False),
        sa.Column("absorbed_id", sa.String(32), sa.ForeignKey("customers.id"), nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("trigger_identity_id", sa.String(32), nullable=False),
        sa.Column("identity_ids", sa.JSON(), nullable=False),
        sa.Column("moved", sa.JSON(), nullable=False),
        sa.Column("survivor_before", sa.JSON(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("undone_at", UTC),
        sa.Column("undone_by", sa.String(32)),
    )
    op.create_index("ix_customer_merge_survivor", "customer_merges", ["survivor_id", "created_at"])
    op.create_index("ix_customer_merge_absorbed", "customer_merges", ["absorbed_id", "created_at"])
    op.create_table(
        "external_complaints",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("platform", sa.String(20), nullable=False),
        sa.Column("external_ref", sa.String(200), nullable=False),
        sa.Column("url", sa.String(500)),
        sa.Column("complainant_name", sa.String(100)),
        sa.Column("complainant_contact", sa.String(200)),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("order_no", sa.String(64)),
        sa.Column("order_matched", sa.Boolean(), nullable=False),
        sa.Column("external_deadline", UTC),
        sa.Column("source", sa.String(10), nullable=False),
        sa.Column("customer_id", sa.String(32), sa.ForeignKey("customers.id"), nullable=False),
        sa.Column("ticket_id", sa.String(32), sa.ForeignKey("tickets.id"), nullable=False),
        sa.Column("registered_by", sa.String(32)),
        sa.Column("created_at", UTC, nullable=False),
        sa.UniqueConstraint("platform", "external_ref", name="uq_complaint_platform_ref"),
    )
    op.create_index("ix_complaint_created", "external_complaints", ["created_at", "id"])
    op.create_index("ix_complaint_ticket", "external_complaints", ["ticket_id"])
    op.add_column(
        "ticket_sla",
        sa.Column("resolution_fixed", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    with op.batch_alter_table("ticket_sla") as batch:
        batch.drop_column("resolution_fixed")
    op.drop_table("external_complaints")
    op.drop_table("customer_merges")
    op.drop_table("identity_proofs")
    op.drop_table("identity_verifications")
