"""proactive: anomaly series, their minute and hourly counts, incidents with orders and timeline

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import yiwen.core.db

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

UTC = yiwen.core.db.UTCDateTime(timezone=True)
AUTO_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "anomaly_series",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("measure", sa.String(32), nullable=False),
        sa.Column("dimension", sa.String(20), nullable=False),
        sa.Column("value", sa.String(100), nullable=False),
        sa.Column("label", sa.String(100)),
        sa.Column("parent_supplier", sa.String(100)),
        sa.Column("first_minute", sa.BigInteger(), nullable=False),
        sa.Column("baseline", sa.JSON()),
        sa.Column("trained_at", UTC),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("alarm_active", sa.Boolean(), nullable=False),
        sa.Column("anomalous_run", sa.Integer(), nullable=False),
        sa.Column("normal_run", sa.Integer(), nullable=False),
        sa.Column("run_started_minute", sa.BigInteger()),
        sa.Column("last_evaluated_minute", sa.BigInteger()),
        sa.Column("last_verdict", sa.JSON()),
        sa.Column("created_at", UTC, nullable=False),
        sa.UniqueConstraint("measure", "dimension", "value", name="uq_anomaly_series"),
    )
    for table, column, index in (
        ("anomaly_minute_counts", "minute", "ix_anomaly_minute"),
        ("anomaly_hourly_counts", "hour", "ix_anomaly_hour"),
    ):
        op.create_table(
            table,
            sa.Column(
                "series_id",
                sa.String(32),
                sa.ForeignKey("anomaly_series.id", ondelete="CASCADE"),
                primary_key=True,
            ),
            sa.Column(column, sa.BigInteger(), primary_key=True),
            sa.Column("count", sa.Integer(), nullable=False),
        )
        op.create_index(index, table, [column])
    op.create_index("ix_conversation_created", "conversations", ["created_at"])
    op.create_table(
        "incidents",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("series_id", sa.String(32), sa.ForeignKey("anomaly_series.id"), nullable=False),
        sa.Column("measure", sa.String(32), nullable=False),
        sa.Column("dimension", sa.String(20), nullable=False),
        sa.Column("value", sa.String(100), nullable=False),
        sa.Column("label", sa.String(100)),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("suggested_action", sa.Text(), nullable=False),
        sa.Column("status", sa.String(15), nullable=False),
        sa.Column("started_at", UTC, nullable=False),
        sa.Column("detected_at", UTC, nullable=False),
        sa.Column("ended_at", UTC),
        sa.Column("window_minutes", sa.Integer(), nullable=False),
        sa.Column("last_observed", sa.Integer(), nullable=False),
        sa.Column("last_expected", sa.Double(), nullable=False),
        sa.Column("peak_observed", sa.Integer(), nullable=False),
        sa.Column("peak_expected", sa.Double(), nullable=False),
        sa.Column("peak_z", sa.Double(), nullable=False),
        sa.Column("total_observed", sa.BigInteger(), nullable=False),
        sa.Column("baseline_per_hour", sa.Double(), nullable=False),
        sa.Column("acknowledged_by", sa.String(32)),
        sa.Column("acknowledged_at", UTC),
        sa.Column("resolved_by", sa.String(32)),
        sa.Column("resolved_at", UTC),
        sa.Column("resolution_note", sa.Text()),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
    )
    op.create_index("ix_incident_status_detected", "incidents", ["status", "detected_at", "id"])
    op.create_index("ix_incident_detected", "incidents", ["detected_at", "id"])
    op.create_index("ix_incident_series_status", "incidents", ["series_id", "status"])
    op.create_table(
        "incident_orders",
        sa.Column(
            "incident_id",
            sa.String(32),
            sa.ForeignKey("incidents.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("order_no", sa.String(64), primary_key=True),
        sa.Column("contact", sa.String(128)),
        sa.Column("shop_user_id", sa.String(64)),
        sa.Column("product_id", sa.String(64)),
        sa.Column("product_name", sa.String(200)),
        sa.Column("supplier", sa.String(100)),
        sa.Column("payment_method", sa.String(20)),
        sa.Column("problem", sa.String(32), nullable=False),
        sa.Column("order_status", sa.String(24)),
        sa.Column("first_seen_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
    )
    op.create_index("ix_incident_order_order_no", "incident_orders", ["order_no"])
    op.create_table(
        "incident_events",
        sa.Column("id", AUTO_ID, primary_key=True, autoincrement=True),
        sa.Column(
            "incident_id",
            sa.String(32),
            sa.ForeignKey("incidents.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("actor_type", sa.String(20), nullable=False),
        sa.Column("actor_id", sa.String(32)),
        sa.Column("actor_name", sa.String(100)),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("at", UTC, nullable=False),
    )
    op.create_index("ix_incident_event_incident", "incident_events", ["incident_id", "id"])


def downgrade() -> None:
    op.drop_table("incident_events")
    op.drop_table("incident_orders")
    op.drop_table("incidents")
    op.drop_index("ix_conversation_created", table_name="conversations")
    op.drop_table("anomaly_hourly_counts")
    op.drop_table("anomaly_minute_counts")
    op.drop_table("anomaly_series")
