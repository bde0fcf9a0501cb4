"""Bot containment: conversations the bot finished alone, of all it handled, per period."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.analytics.conftest import Seats, local
from tests.factories import StaffTeam
from yiwen.bot.models import BotOutcome
from yiwen.conversations.service import start_conversation
from yiwen.core.clock import FixedClock
from yiwen.core.db import Database
from yiwen.customers.service import find_or_create_customer

PERIOD = {"from": "2026-11-20", "to": "2026-11-22"}


@pytest.fixture
def outcomes(database: Database, clock: FixedClock) -> None:
    """Outcome rows as the bot records them: three in the period, one the day before."""
    cases = [
        ("2026-11-21 23:30", "web", "how_to_use", "resolved"),
        ("2026-11-21 10:00", "qq", "delivery_missing", "resolved"),
        ("2026-11-20 00:10", "web", "refund_request", "handed_off"),
        ("2026-11-19 23:59", "web", "how_to_use", "resolved"),
    ]
    with database.transaction() as db:
        for i, (when, channel, intent, outcome) in enumerate(cases):
            customer = find_or_create_customer(db, clock, channel="web", external_id=f"v{i}")
            conversation, _token = start_conversation(db, clock, customer, channel=channel)
            db.add(
                BotOutcome(
                    conversation_id=conversation.id,
                    customer_id=customer.id,
                    channel=channel,
                    intent=intent,
                    outcome=outcome,
                    created_at=local(when),
                )
            )


def kpis(client: TestClient, headers: dict[str, str], **params: str) -> dict:  # type: ignore[type-arg]
    response = client.get("/api/v1/kpis", params={**PERIOD, **params}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_containment_is_resolved_conversations_of_all_the_bot_handled(
    outcomes: None, client: TestClient, seat: Seats
) -> None:
    totals = kpis(client, seat("supervisor"))["totals"]
    assert totals["bot_containment"] == {"n": 3, "count": 2, "rate": 0.6667}


def test_containment_by_day_channel_and_intent(
    outcomes: None, client: TestClient, seat: Seats
) -> None:
    by_day = {
        g["key"]: g["figures"]["bot_containment"]
        for g in kpis(client, seat("supervisor"), group_by="day")["groups"]
    }
    assert by_day["2026-11-20"] == {"n": 1, "count": 0, "rate": 0.0}
    assert by_day["2026-11-21"] == {"n": 2, "count": 2, "rate": 1.0}
    by_channel = {
        g["key"]: g["figures"]["bot_containment"]
        for g in kpis(client, seat("supervisor"), group_by="channel")["groups"]
    }
    assert by_channel["web"] == {"n": 2, "count": 1, "rate": 0.5}
    by_category = {
        g["key"]: g["figures"]["bot_containment"]
        for g in kpis(client, seat("supervisor"), group_by="category")["groups"]
    }
    assert by_category["how_to_use"] == {"n": 1, "count": 1, "rate": 1.0}
    by_agent = kpis(client, seat("supervisor"), group_by="agent")["groups"]
    assert [(g["key"], g["figures"]["bot_containment"]["n"]) for g in by_agent] == [(None, 3)]


def test_an_agents_own_view_has_no_bot_figures(
    outcomes: None, client: TestClient, seat: Seats, team: StaffTeam
) -> None:
    assert kpis(client, seat("l1"))["totals"]["bot_containment"]["n"] == 0
