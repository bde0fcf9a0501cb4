"""Workforce tables: the shifts agents are scheduled for.

``workforce_shifts``: one row per agent and stretch of work, ``starts_at`` to
``ends_at`` (UTC, end exclusive). An agent's shifts never overlap (the service
checks it), so counting agents on duty in an hour is summing their overlaps.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from yiwen.core.db import Base
from yiwen.core.ids import new_id


class Shift(Base):
    __tablename__ = "workforce_shifts"
    __table_args__ = (
        Index("ix_workforce_shift_starts", "starts_at"),
        Index("ix_workforce_shift_agent_starts", "agent_id", "starts_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    agent_id: Mapped[str] = mapped_column(ForeignKey("staff_users.id"))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    note: Mapped[str] = mapped_column(String(200), default="")
    created_by: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
