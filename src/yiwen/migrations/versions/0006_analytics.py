"""analytics: indexes for the KPI queries

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_INDEXES = (
    ("ix_ticket_kpi_created", "tickets", "created_at"),
    ("ix_ticket_kpi_first_response", "tickets", "first_response_at"),
    ("ix_ticket_kpi_first_response_due", "tickets", "first_response_due_at"),
    ("ix_ticket_kpi_resolved", "tickets", "resolved_at"),
    ("ix_csat_kpi_created", "csat_ratings", "created_at"),
    ("ix_ticket_event_kpi_kind", "ticket_events", "kind", "ticket_id"),
)


def upgrade() -> None:
    for name, table, *columns in _INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for name, table, *_columns in reversed(_INDEXES):
        op.drop_index(name, table_name=table)
