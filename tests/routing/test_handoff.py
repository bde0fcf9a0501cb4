"""With the bot on, work reaches routing when the bot hands the conversation off."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.routing.conftest import Desk, Work
from yiwen.conversations.models import Conversation
from yiwen.core.db import Database
from yiwen.tickets.models import Ticket

CUSTOMER = "/api/v1/customer/conversations"


@pytest.fixture
def bot_enabled() -> bool:
    return True


def test_a_conversation_with_the_bot_is_not_routed_until_handed_off(
    client: TestClient, desk: Desk, database: Database
) -> None:
    agent = desk.agent("solo")
    started = client.post(CUSTOMER, json={}).json()
    work = Work("", started["conversation"]["id"], None, started["token"])
    assert started["conversation"]["status"] == "bot"
    assert desk.assignee(work) is None
    sent = client.post(
        f"{CUSTOMER}/{work.conversation_id}/messages",
        json={"client_msg_id": "h1", "body": "转人工"},
        headers={"X-Conversation-Token": work.token},
    )
    assert sent.status_code in (200, 201), sent.text
    with database.reading() as db:
        conversation = db.get(Conversation, work.conversation_id)
        assert conversation is not None
        assert conversation.assignee_id == agent.id
        assert conversation.status == "open"
        ticket = db.scalars(
            select(Ticket).where(Ticket.conversation_id == work.conversation_id)
        ).one()
        assert ticket.assignee_id == agent.id
        assert ticket.queue is not None
