"""Domain events: in-transaction reactions share the emitter's fate; others see only commits."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yiwen.auth.audit import Actor, AuditEntry, record_audit
from yiwen.core.clock import FixedClock
from yiwen.core.db import Database
from yiwen.core.events import DomainEvent, bus, emit


@pytest.fixture
def reactions(clock: FixedClock) -> Iterator[list[str]]:
    """An in-transaction listener that writes an audit row, and an after-commit one."""
    seen_after_commit: list[str] = []

    def write_row(session: Session, event: DomainEvent) -> None:
        record_audit(
            session,
            clock,
            actor=Actor.system(),
            action="test.reacted",
            target_type="event",
            target_id=str(event.payload["n"]),
        )
        if event.payload.get("explode"):
            raise RuntimeError("listener refuses")

    def after(event: DomainEvent) -> None:
        seen_after_commit.append(str(event.payload["n"]))

    bus.subscribe_in_transaction("test.happened", write_row)
    bus.subscribe("test.happened", after)
    yield seen_after_commit
    bus.unsubscribe_in_transaction("test.happened", write_row)
    bus.unsubscribe("test.happened", after)


def _reaction_rows(database: Database) -> list[str]:
    with database.reading() as db:
        return list(
            db.scalars(select(AuditEntry.target_id).where(AuditEntry.action == "test.reacted"))
        )


def test_in_transaction_reaction_commits_with_the_emitter(
    database: Database, reactions: list[str]
) -> None:
    with database.transaction() as db:
        emit(db, "test.happened", n=1)
        assert reactions == []  # not released before the commit
    assert _reaction_rows(database) == ["1"]
    assert reactions == ["1"]


def test_rolled_back_emitter_leaves_no_reaction_and_releases_nothing(
    database: Database, reactions: list[str]
) -> None:
    with pytest.raises(ValueError), database.transaction() as db:
        emit(db, "test.happened", n=2)
        raise ValueError("the action fails after emitting")
    assert _reaction_rows(database) == []
    assert reactions == []


def test_failing_reaction_aborts_the_action(database: Database, reactions: list[str]) -> None:
    with pytest.raises(RuntimeError), database.transaction() as db:
        emit(db, "test.happened", n=3, explode=True)
    with database.reading() as db:
        assert db.scalar(select(func.count()).select_from(AuditEntry)) == 0
    assert reactions == []


def test_listener_may_open_its_own_transaction_after_commit(
    database: Database, clock: FixedClock
) -> None:
    """The bot answers in a transaction of its own once the customer's message is committed."""
    outcome: list[str] = []

    def follow_up(event: DomainEvent) -> None:
        with database.transaction() as db:
            record_audit(
                db,
                clock,
                actor=Actor.system(),
                action="test.reacted",
                target_type="event",
                target_id="follow-up",
            )
        outcome.append("done")

    bus.subscribe("test.followed", follow_up)
    worker = threading.Thread(target=_emit_once, args=(database, "test.followed"))
    try:
        worker.start()
        worker.join(timeout=10)
    finally:
        bus.unsubscribe("test.followed", follow_up)
    assert not worker.is_alive(), "the follow-up transaction waited on the first one's lock"
    assert outcome == ["done"]
    assert _reaction_rows(database) == ["follow-up"]


def _emit_once(database: Database, name: str) -> None:
    with database.transaction() as db:
        emit(db, name)


def test_listeners_run_in_the_order_they_subscribed_whether_by_name_or_for_every_event() -> None:
    """The realtime hub listens to "*" before the bot listens to message.created; the bot's
    answer, published from inside its listener, must not reach sockets before the message."""
    heard: list[str] = []

    def hub(event: DomainEvent) -> None:
        heard.append(f"hub:{event.name}")

    def bot(event: DomainEvent) -> None:
        heard.append(f"bot:{event.name}")
        if event.name == "test.asked":
            bus.publish(DomainEvent("test.answered"))

    bus.subscribe("*", hub)
    bus.subscribe("test.asked", bot)
    try:
        bus.publish(DomainEvent("test.asked"))
    finally:
        bus.unsubscribe("*", hub)
        bus.unsubscribe("test.asked", bot)

    assert heard == ["hub:test.asked", "bot:test.asked", "hub:test.answered"]
