"""Webhook endpoints are matched from a short-lived cache that never serves a rolled-back change."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import insert

from tests.notify.conftest import add_webhook
from yiwen.core.clock import FixedClock
from yiwen.core.db import Database
from yiwen.notify import endpoints
from yiwen.notify.models import WebhookEndpoint


class Ticking:
    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def ticking(monkeypatch: pytest.MonkeyPatch) -> Ticking:
    clock = Ticking()
    monkeypatch.setattr(endpoints, "time", SimpleNamespace(monotonic=clock.monotonic))
    endpoints.forget_endpoints()
    return clock


def ids(database: Database) -> set[str]:
    with database.reading() as db:
        return {endpoint.id for endpoint in endpoints.active_endpoints(db)}


def test_an_endpoint_saved_in_this_process_is_matched_from_the_next_transaction(
    database: Database, clock: FixedClock, ticking: Ticking
) -> None:
    assert ids(database) == set()
    added = add_webhook(database, clock, "https://a.example.com/h", secret="s", events=[])
    assert ids(database) == {added}


def test_an_endpoint_in_a_rolled_back_transaction_is_never_cached(
    database: Database, clock: FixedClock, ticking: Ticking
) -> None:
    with pytest.raises(RuntimeError), database.transaction() as db:
        db.add(
            WebhookEndpoint(
                url="https://gone.example.com/h",
                secret="s",
                events=[],
                description="",
                active=True,
                created_at=clock.now(),
                updated_at=clock.now(),
            )
        )
        db.flush()
        # The session that added it sees it (its own uncommitted change)…
        assert len(endpoints.active_endpoints(db)) == 1
        raise RuntimeError("roll back")
    # …and nobody else ever does.
    assert ids(database) == set()


def test_a_change_made_by_another_process_shows_within_the_time_to_live(
    database: Database, clock: FixedClock, ticking: Ticking
) -> None:
    assert ids(database) == set()
    # Another process writes the row directly: this process gets no flush to notice.
    with database.engine.begin() as connection:
        connection.execute(
            insert(WebhookEndpoint).values(
                id="e" * 32,
                url="https://b.example.com/h",
                secret="s",
                events=["ticket.*"],
                description="",
                active=True,
                created_at=clock.now(),
                updated_at=clock.now(),
            )
        )
    assert ids(database) == set()
    ticking.now += endpoints.TTL_SECONDS + 0.1
    assert ids(database) == {"e" * 32}
