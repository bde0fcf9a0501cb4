"""In-process domain events, released only after the transaction that raised them commits.

Emitters call :func:`emit` with the session they write through; listeners
(realtime hub, later notify and analytics) subscribe by event name. A rolled
back transaction releases nothing, so no listener ever sees a change that did
not happen.

Reactions that must be part of the same unit of work (an SLA clock started with
its ticket, an outbox row written with the reply it announces, an assignment made
with the handoff) subscribe with :meth:`EventBus.subscribe_in_transaction`: they
run at once, inside the emitter's transaction, so they commit or roll back with it
and a crash between the two is impossible.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

log = logging.getLogger("yiwen.events")

_PENDING = "yiwen_pending_events"
_HOLD = "yiwen_hold_events"
_COMMITTED = "yiwen_committed_events"


@dataclass(frozen=True)
class DomainEvent:
    name: str
    payload: dict[str, object] = field(default_factory=dict)


Listener = Callable[[DomainEvent], None]
TransactionalListener = Callable[[Session, DomainEvent], None]


class EventBus:
    def __init__(self) -> None:
        self._listeners: dict[str, list[Listener]] = defaultdict(list)
        self._in_transaction: dict[str, list[TransactionalListener]] = defaultdict(list)

    def subscribe(self, name: str, listener: Listener) -> None:
        """Listen to one event name, or to every event with ``"*"``."""
        self._listeners[name].append(listener)

    def unsubscribe(self, name: str, listener: Listener) -> None:
        if listener in self._listeners.get(name, []):
            self._listeners[name].remove(listener)

    def subscribe_in_transaction(self, name: str, listener: TransactionalListener) -> None:
        """React inside the emitter's transaction (``"*"`` for every event).

        The listener writes through the session it is given and must not commit;
        an exception it raises aborts the emitter's action, which is the point.
        """
        if listener not in self._in_transaction[name]:
            self._in_transaction[name].append(listener)

    def unsubscribe_in_transaction(self, name: str, listener: TransactionalListener) -> None:
        if listener in self._in_transaction.get(name, []):
            self._in_transaction[name].remove(listener)

    def clear(self) -> None:
        self._listeners.clear()
        self._in_transaction.clear()

    def react(self, session: Session, event: DomainEvent) -> None:
        for listener in [
            *self._in_transaction.get(event.name, []),
            *self._in_transaction.get("*", []),
        ]:
            listener(session, event)

    def publish(self, event: DomainEvent) -> None:
        for listener in [*self._listeners.get(event.name, []), *self._listeners.get("*", [])]:
            try:
                listener(event)
            except Exception:  # a broken listener must not undo a committed action
                log.exception("event listener failed for %s", event.name)


bus = EventBus()


def emit(session: Session, name: str, **payload: object) -> None:
    """Run the in-transaction reactions now; queue the event for release after commit."""
    event = DomainEvent(name, payload)
    session.info.setdefault(_PENDING, []).append(event)
    bus.react(session, event)


def hold_until_released(session: Session) -> None:
    """Keep this session's committed events until :func:`release_held` is called.

    The unit of work uses it to publish only after it has let go of its writer
    lock, so a listener may start a transaction of its own.
    """
    session.info[_HOLD] = True


def release_held(session: Session) -> None:
    for item in session.info.pop(_COMMITTED, []):
        bus.publish(item)


@sa_event.listens_for(Session, "after_commit")
def _release_after_commit(session: Session) -> None:
    pending: list[DomainEvent] = session.info.pop(_PENDING, [])
    if session.info.get(_HOLD):
        session.info.setdefault(_COMMITTED, []).extend(pending)
        return
    for item in pending:
        bus.publish(item)


@sa_event.listens_for(Session, "after_rollback")
def _drop_after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)
