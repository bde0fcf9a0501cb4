"""The periodic assignment pass: work left waiting while another pass held the lock."""

from __future__ import annotations

from sqlalchemy.orm import Session

from yiwen.core.clock import Clock
from yiwen.routing.assignment import assign_waiting_work
from yiwen.store.protocol import StoreConnector


def drain_waiting_work(db: Session, clock: Clock, store: StoreConnector) -> int:
    """Assign what can be assigned; the lock is taken first, before any row is touched."""
    return assign_waiting_work(db, clock)
