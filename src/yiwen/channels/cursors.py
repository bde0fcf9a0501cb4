"""Read positions of pull-style channels, kept in the database so a restart resumes exactly."""

from __future__ import annotations

from sqlalchemy.orm import Session

from yiwen.channels.models import ChannelCursor
from yiwen.core.clock import Clock


def get_cursor(db: Session, account_id: str, name: str) -> str:
    cursor = db.get(ChannelCursor, (account_id, name))
    return cursor.value if cursor is not None else ""


def set_cursor(db: Session, clock: Clock, account_id: str, name: str, value: str) -> None:
    """Move the cursor; commit it in the same transaction as the messages it covers."""
    cursor = db.get(ChannelCursor, (account_id, name))
    if cursor is None:
        db.add(ChannelCursor(account_id=account_id, name=name, value=value, updated_at=clock.now()))
    else:
        cursor.value = value
        cursor.updated_at = clock.now()
    db.flush()
