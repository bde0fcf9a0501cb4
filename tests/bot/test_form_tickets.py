"""A ticket filed through the portal's form goes to people; the bot leaves its summary alone."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from yiwen.conversations.models import Conversation, Message
from yiwen.core.db import Database
from yiwen.store.connectors.demo.connector import DemoStoreConnector
from yiwen.tickets.models import Ticket


def test_the_form_opens_one_ticket_and_the_bot_does_not_answer_its_summary(
    client: TestClient, database: Database, demo: DemoStoreConnector
) -> None:
    example = next(iter(demo.example_orders().values()))
    response = client.post(
        "/api/v1/customer/tickets",
        json={
            "category": "delivery_missing",
            "description": "付款后一直没收到卡密，麻烦处理",
            "demand": "resend",
            "order_no": example.order_no,
            "contact": example.contact,
        },
    )
    assert response.status_code == 201, response.text
    conversation_id = response.json()["conversation"]["id"]
    with database.reading() as db:
        conversation = db.get(Conversation, conversation_id)
        assert conversation is not None and conversation.status == "waiting"
        tickets = db.scalar(
            select(func.count())
            .select_from(Ticket)
            .where(Ticket.conversation_id == conversation_id)
        )
        senders = list(
            db.scalars(
                select(Message.sender_type)
                .where(Message.conversation_id == conversation_id)
                .order_by(Message.id)
            )
        )
    assert tickets == 1
    assert "bot" not in senders and senders[0] == "customer"
