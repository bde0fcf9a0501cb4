"""routing: queues, category map, agent profiles, queue entries, assignments

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import yiwen.core.db

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

WHEN = yiwen.core.db.UTCDateTime(timezone=True)

DEPARTMENT_NAMES = {
    "general": "综合客服",
    "tech": "技术支持",
    "finance": "财务",
    "supplier_liaison": "供应商对接",
    "security": "账户安全",
}
TIER_NAMES = {"L1": "一线", "L2": "二线"}
# The seeds' routing: card-key failures to supplier liaison, money to finance,
# stolen or frozen accounts to security, complaints straight to senior agents.
CATEGORY_QUEUES = {
    "delivery_missing": "general_l1",
    "card_invalid": "supplier_liaison_l1",
    "refund_request": "finance_l1",
    "refund_status": "finance_l1",
    "order_status": "general_l1",
    "payment_issue": "finance_l1",
    "account_security": "security_l1",
    "balance_issue": "finance_l1",
    "promo_issue": "general_l1",
    "how_to_use": "general_l1",
    "presale": "general_l1",
    "bulk_purchase": "general_l1",
    "complaint": "general_l2",
    "other": "general_l1",
}


def upgrade() -> None:
    queues = op.create_table(
        "routing_queues",
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("department", sa.String(length=30), nullable=False),
        sa.Column("tier", sa.String(length=4), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("default_handle_minutes", sa.Integer(), nullable=False),
        sa.Column("arrival_floor_per_hour", sa.Integer(), nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("key"),
        sa.UniqueConstraint("department", "tier", name="uq_routing_queue_dept_tier"),
    )
    routes = op.create_table(
        "routing_category_routes",
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("queue_key", sa.String(length=40), nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(["queue_key"], ["routing_queues.key"]),
        sa.PrimaryKeyConstraint("category"),
    )
    op.create_table(
        "routing_agent_profiles",
        sa.Column("agent_id", sa.String(length=32), nullable=False),
        sa.Column("skills", sa.JSON(), nullable=False),
        sa.Column("tier", sa.String(length=4), nullable=False),
        sa.Column("presence", sa.String(length=10), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("hourly_cap", sa.Integer(), nullable=True),
        sa.Column("presence_changed_at", WHEN, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(["agent_id"], ["staff_users.id"]),
        sa.PrimaryKeyConstraint("agent_id"),
    )
    with op.batch_alter_table("routing_agent_profiles", schema=None) as batch_op:
        batch_op.create_index("ix_routing_agent_presence", ["presence"], unique=False)
    op.create_table(
        "routing_queue_entries",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("queue_key", sa.String(length=40), nullable=False),
        sa.Column("conversation_id", sa.String(length=32), nullable=True),
        sa.Column("ticket_id", sa.String(length=32), nullable=True),
        sa.Column("customer_id", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("enqueued_at", WHEN, nullable=False),
        sa.Column("assigned_at", WHEN, nullable=True),
        sa.Column("agent_id", sa.String(length=32), nullable=True),
        sa.Column("notified_position", sa.Integer(), nullable=True),
        sa.Column("notified_wait_minutes", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"]),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"]),
        sa.ForeignKeyConstraint(["queue_key"], ["routing_queues.key"]),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("routing_queue_entries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_routing_entry_conversation", ["conversation_id", "state"], unique=False
        )
        batch_op.create_index(
            "ix_routing_entry_queue_assigned", ["queue_key", "assigned_at"], unique=False
        )
        batch_op.create_index(
            "ix_routing_entry_queue_enqueued", ["queue_key", "enqueued_at"], unique=False
        )
        batch_op.create_index(
            "ix_routing_entry_state_queue", ["state", "queue_key", "enqueued_at"], unique=False
        )
        batch_op.create_index("ix_routing_entry_ticket", ["ticket_id", "state"], unique=False)
    op.create_table(
        "routing_assignments",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("agent_id", sa.String(length=32), nullable=False),
        sa.Column("customer_id", sa.String(length=32), nullable=False),
        sa.Column("conversation_id", sa.String(length=32), nullable=True),
        sa.Column("ticket_id", sa.String(length=32), nullable=True),
        sa.Column("queue_key", sa.String(length=40), nullable=True),
        sa.Column("rule", sa.String(length=20), nullable=False),
        sa.Column("at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(["agent_id"], ["staff_users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("routing_assignments", schema=None) as batch_op:
        batch_op.create_index("ix_routing_assignment_agent_at", ["agent_id", "at"], unique=False)
        batch_op.create_index(
            "ix_routing_assignment_customer_at", ["customer_id", "at"], unique=False
        )
    now = datetime.now(UTC)
    op.bulk_insert(
        queues,
        [
            {
                "key": f"{department}_{tier.lower()}",
                "department": department,
                "tier": tier,
                "name": f"{name}{TIER_NAMES[tier]}",
                "default_handle_minutes": 6,
                "arrival_floor_per_hour": 1,
                "updated_at": now,
            }
            for department, name in DEPARTMENT_NAMES.items()
            for tier in TIER_NAMES
        ],
    )
    op.bulk_insert(
        routes,
        [
            {"category": category, "queue_key": key, "updated_at": now}
            for category, key in CATEGORY_QUEUES.items()
        ],
    )


def downgrade() -> None:
    with op.batch_alter_table("routing_assignments", schema=None) as batch_op:
        batch_op.drop_index("ix_routing_assignment_customer_at")
        batch_op.drop_index("ix_routing_assignment_agent_at")
    op.drop_table("routing_assignments")
    with op.batch_alter_table("routing_queue_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_routing_entry_ticket")
        batch_op.drop_index("ix_routing_entry_state_queue")
        batch_op.drop_index("ix_routing_entry_queue_enqueued")
        batch_op.drop_index("ix_routing_entry_queue_assigned")
        batch_op.drop_index("ix_routing_entry_conversation")
    op.drop_table("routing_queue_entries")
    with op.batch_alter_table("routing_agent_profiles", schema=None) as batch_op:
        batch_op.drop_index("ix_routing_agent_presence")
    op.drop_table("routing_agent_profiles")
    op.drop_table("routing_category_routes")
    op.drop_table("routing_queues")
