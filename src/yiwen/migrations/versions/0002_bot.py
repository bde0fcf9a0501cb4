"""bot sessions, actions, follow-ups and outcomes

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import yiwen.core.db

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

UTC = yiwen.core.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "bot_sessions",
        sa.Column("conversation_id", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("goal", sa.String(length=40), nullable=True),
        sa.Column("pending", sa.String(length=30), nullable=True),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("clarifications", sa.Integer(), nullable=False),
        sa.Column("turns", sa.Integer(), nullable=False),
        sa.Column("last_message_id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.String(length=32), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"]),
        sa.PrimaryKeyConstraint("conversation_id"),
    )
    op.create_table(
        "bot_actions",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("idempotency_key", sa.String(length=120), nullable=False),
        sa.Column("conversation_id", sa.String(length=32), nullable=False),
        sa.Column("ticket_id", sa.String(length=32), nullable=True),
        sa.Column("action", sa.String(length=30), nullable=False),
        sa.Column("order_no", sa.String(length=64), nullable=True),
        sa.Column("shop_user_id", sa.String(length=64), nullable=True),
        sa.Column("amount", yiwen.core.db.Money(precision=14, scale=2), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("idempotency_key"),
    )
    with op.batch_alter_table("bot_actions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_bot_action_conversation", ["conversation_id", "created_at"], unique=False
        )
        batch_op.create_index("ix_bot_action_order", ["order_no", "created_at"], unique=False)
    op.create_table(
        "bot_followups",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("conversation_id", sa.String(length=32), nullable=False),
        sa.Column("order_no", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("due_at", UTC, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("done_at", UTC, nullable=True),
        sa.Column("result", sa.String(length=20), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("bot_followups", schema=None) as batch_op:
        batch_op.create_index("ix_bot_followup_due", ["done_at", "due_at"], unique=False)
    op.create_table(
        "bot_outcomes",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("conversation_id", sa.String(length=32), nullable=False),
        sa.Column("customer_id", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("intent", sa.String(length=40), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("ticket_id", sa.String(length=32), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("bot_outcomes", schema=None) as batch_op:
        batch_op.create_index("ix_bot_outcome_created", ["created_at"], unique=False)
        batch_op.create_index("ix_bot_outcome_conversation", ["conversation_id"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("bot_outcomes", schema=None) as batch_op:
        batch_op.drop_index("ix_bot_outcome_conversation")
        batch_op.drop_index("ix_bot_outcome_created")
    op.drop_table("bot_outcomes")
    with op.batch_alter_table("bot_followups", schema=None) as batch_op:
        batch_op.drop_index("ix_bot_followup_due")
    op.drop_table("bot_followups")
    with op.batch_alter_table("bot_actions", schema=None) as batch_op:
        batch_op.drop_index("ix_bot_action_order")
        batch_op.drop_index("ix_bot_action_conversation")
    op.drop_table("bot_actions")
    op.drop_table("bot_sessions")
