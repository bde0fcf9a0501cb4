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
_AFTER_COMMIT = "yiwen_after_commit_calls"


@dataclass(frozen=True)
class DomainEvent:
    name: str
    payload: dict[str, object] = field(default_factory=dict)
    # Already shown to realtime clients when the fact was stored (a customer message
    # from the fast intake); the realtime hub does not send it again.
    announced: bool = False


Listener = Callable[[DomainEvent], None]
TransactionalListener = Callable[[Session, DomainEvent], None]


class EventBus:
    def __init__(self) -> None:
        # One list for named and "*" listeners: they run in the order they subscribed.
        self._listeners: list[tuple[str, Listener]] = []
        self._in_transaction: dict[str, list[TransactionalListener]] = defaultdict(list)

    def subscribe(self, name: str, listener: Listener) -> None:
        """Listen to one event name, or to every event with ``"*"``.

        Listeners run in the order they subscribed, whichever way they did. The
        realtime hub (``"*"``) subscribes before the bot (``message.created``),
        whose turn commits and publishes its answer from inside its listener: the
        customer's message must reach the sockets before that answer.
        """
        self._listeners.append((name, listener))

    def unsubscribe(self, name: str, listener: Listener) -> None:
        if (name, listener) in self._listeners:
            self._listeners.remove((name, listener))

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
        for name, listener in list(self._listeners):
            if name not in (event.name, "*"):
                continue
            try:
                listener(event)
            except Exception:  # a broken listener must not undo a committed action
                log.exception("event listener failed for %s", event.name)


bus = EventBus()


def emit(session: Session, name: str, **payload: object) -> None:
    """Run the in-transaction reactions now; queue the event for release after commit."""
    emit_event(session, DomainEvent(name, payload))


def emit_event(session: Session, event: DomainEvent) -> None:
    """:func:`emit` for an event built by the caller (one already ``announced``)."""
    session.info.setdefault(_PENDING, []).append(event)
    bus.react(session, event)


def call_after_commit(session: Session, callback: Callable[[], None]) -> None:
    """Call ``callback`` once this session's transaction has committed; never on rollback.

    For signals that are not domain facts (no webhook or realtime client should see
    them), such as waking the message pipeline when a message waits for its reactions.
    """
    calls: list[Callable[[], None]] = session.info.setdefault(_AFTER_COMMIT, [])
    calls.append(callback)


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
    for callback in session.info.pop(_AFTER_COMMIT, []):
        try:
            callback()
        except Exception:  # like a listener: the commit already happened
            log.exception("after-commit call failed")
    pending: list[DomainEvent] = session.info.pop(_PENDING, [])
    if session.info.get(_HOLD):
        session.info.setdefault(_COMMITTED, []).extend(pending)
        return
    for item in pending:
        bus.publish(item)


@sa_event.listens_for(Session, "after_rollback")
def _drop_after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)
    session.info.pop(_AFTER_COMMIT, None)
