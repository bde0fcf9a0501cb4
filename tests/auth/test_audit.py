"""The audit log keeps exact values, pages newest first, filters, and is read only by a few."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient

from tests.factories import StaffTeam, login_headers
from yiwen.auth.audit import Actor, AuditEntry, list_audit, record_audit
from yiwen.core.clock import FixedClock
from yiwen.core.db import Database
from yiwen.core.errors import InvalidInput

AUDIT = "/api/v1/audit"


def _record_refunds(database: Database, clock: FixedClock, team: StaffTeam, count: int) -> None:
    """``count`` refunds a minute apart, alternating between L1 and finance."""
    for n in range(count):
        clock.advance(timedelta(minutes=1))
        actor = team.l1 if n % 2 == 0 else team.finance
        with database.transaction() as db:
            record_audit(
                db,
                clock,
                actor=Actor.staff(actor),
                action="order.refund",
                target_type="order",
                target_id=f"D{n:04d}",
                after={"amount": Decimal("9.90") + n},
            )


def test_money_and_times_are_kept_exactly_as_text(database: Database, clock: FixedClock) -> None:
    with database.transaction() as db:
        entry = record_audit(
            db,
            clock,
            actor=Actor.bot(),
            action="order.refund",
            target_type="order",
            target_id="D1",
            before={"refunded": Decimal("0.00"), "at": None},
            after={"refunded": Decimal("30.10"), "at": clock.now(), "tags": ("vip",)},
        )
        entry_id = entry.id
    with database.reading() as db:
        stored = db.get(AuditEntry, entry_id)
        assert stored is not None
        assert stored.before == {"refunded": "0.00", "at": None}
        assert stored.after == {
            "refunded": "30.10",
            "at": "2026-11-22T02:00:00+00:00",
            "tags": ["vip"],
        }
        assert (stored.actor_type, stored.actor_id) == ("bot", None)
        assert stored.at == clock.now()


def test_actors_name_who_acted() -> None:
    assert Actor.customer("c1") == Actor("customer", "c1", None)
    assert Actor.system().kind == "system"
    assert Actor.bot().kind == "bot"


def test_listing_pages_newest_first_without_gaps_or_repeats(
    database: Database, clock: FixedClock, team: StaffTeam
) -> None:
    _record_refunds(database, clock, team, 7)
    seen: list[str] = []
    cursor = None
    with database.reading() as db:
        while True:
            page, cursor = list_audit(db, action="order.refund", cursor=cursor, limit=3)
            seen.extend(e.target_id for e in page)
            if cursor is None:
                break
    assert seen == [f"D{n:04d}" for n in reversed(range(7))]


def test_entries_at_the_same_instant_are_paged_by_id(database: Database, clock: FixedClock) -> None:
    with database.transaction() as db:
        ids = {
            record_audit(
                db,
                clock,
                actor=Actor.system(),
                action="sla.sweep",
                target_type="job",
                target_id=str(n),
            ).id
            for n in range(5)
        }
    seen: list[str] = []
    cursor = None
    with database.reading() as db:
        for _ in range(5):
            page, cursor = list_audit(db, cursor=cursor, limit=2)
            seen.extend(e.id for e in page)
            if cursor is None:
                break
    assert seen == sorted(ids, reverse=True)


def test_listing_filters_by_actor_action_target_and_time(
    database: Database, clock: FixedClock, team: StaffTeam
) -> None:
    start = clock.now()
    _record_refunds(database, clock, team, 6)
    with database.transaction() as db:
        record_audit(
            db,
            clock,
            actor=Actor.staff(team.security),
            action="account.freeze",
            target_type="account",
            target_id="u9",
        )
    with database.reading() as db:
        by_finance, _ = list_audit(db, actor_id=team.finance.id)
        assert [e.target_id for e in by_finance] == ["D0005", "D0003", "D0001"]
        by_target, _ = list_audit(db, target_type="order", target_id="D0002")
        assert [e.target_id for e in by_target] == ["D0002"]
        window, _ = list_audit(
            db,
            action="order.refund",
            since=start + timedelta(minutes=2),
            until=start + timedelta(minutes=4),
        )
        assert [e.target_id for e in window] == ["D0002", "D0001"]
        family, _ = list_audit(db, action="order.*")
        assert len(family) == 6
        freezes, _ = list_audit(db, action="account.freeze")
        assert [e.actor_id for e in freezes] == [team.security.id]
        assert list_audit(db, action="order.ref")[0] == []


def test_a_garbled_cursor_is_invalid_input(database: Database) -> None:
    with database.reading() as db, pytest.raises(InvalidInput):
        list_audit(db, cursor="not-a-cursor")


def test_audit_api_is_for_audit_readers_only(
    client: TestClient, database: Database, clock: FixedClock, team: StaffTeam
) -> None:
    _record_refunds(database, clock, team, 3)
    for user in (team.l1, team.l2, team.finance, team.tech):
        refused = client.get(AUDIT, headers=login_headers(client, user.username))
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "permission_denied"
    for user in (team.security, team.supervisor, team.admin):
        assert client.get(AUDIT, headers=login_headers(client, user.username)).status_code == 200


def test_audit_api_pages_and_filters(
    client: TestClient, database: Database, clock: FixedClock, team: StaffTeam
) -> None:
    start = clock.now()
    _record_refunds(database, clock, team, 5)
    headers = login_headers(client, "security")
    first = client.get(AUDIT, params={"action": "order.refund", "limit": 2}, headers=headers)
    assert first.status_code == 200, first.text
    body = first.json()
    assert [e["target_id"] for e in body["items"]] == ["D0004", "D0003"]
    assert body["items"][0]["after"] == {"amount": "13.90"}
    assert body["items"][0]["actor_name"] == "客服小一"
    second = client.get(
        AUDIT,
        params={"action": "order.refund", "limit": 2, "cursor": body["next_cursor"]},
        headers=headers,
    ).json()
    assert [e["target_id"] for e in second["items"]] == ["D0002", "D0001"]
    # A time without an offset is Beijing time, as the console shows it.
    local = (start + timedelta(minutes=5, hours=8)).replace(tzinfo=None).isoformat()
    since = client.get(
        AUDIT, params={"action": "order.refund", "since": local}, headers=headers
    ).json()
    assert [e["target_id"] for e in since["items"]] == ["D0004"]


@pytest.mark.parametrize(
    "params",
    [
        {"cursor": "garbage"},
        {"limit": 0},
        {"limit": 201},
        {"since": "yesterday"},
        {"target_id": "x" * 129},
        {"action": "a" * 65},
    ],
)
def test_bad_audit_queries_are_client_errors(
    client: TestClient, team: StaffTeam, params: dict[str, object]
) -> None:
    response = client.get(AUDIT, params=params, headers=login_headers(client, "admin"))
    assert response.status_code == 422, response.text
