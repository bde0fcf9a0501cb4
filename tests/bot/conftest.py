"""A customer chatting with the bot over the public API (ASGI), against the demo shop."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from yiwen.conversations.access import sign_shop_token
from yiwen.core.clock import FixedClock
from yiwen.core.db import Database
from yiwen.core.settings import Settings
from yiwen.store.connectors.demo.connector import DemoStoreConnector
from yiwen.store.connectors.demo.models import ShopOrder
from yiwen.store.connectors.demo.shop import ExampleOrder
from yiwen.tickets.models import Ticket


@dataclass
class Chat:
    """One customer's conversation; ``say`` returns the bot's public replies to that message."""

    client: TestClient
    conversation_id: str
    headers: dict[str, str]
    cursor: int | None = None
    sent: int = 0
    seen: list[dict[str, Any]] = field(default_factory=list)

    def say(self, text: str, *, client_msg_id: str | None = None) -> list[str]:
        self.sent += 1
        response = self.client.post(
            f"/api/v1/customer/conversations/{self.conversation_id}/messages",
            json={"client_msg_id": client_msg_id or f"m{self.sent}", "body": text},
            headers=self.headers,
        )
        assert response.status_code in (200, 201), response.text
        return [m["body"] for m in self.new_messages() if m["sender_type"] == "bot"]

    def new_messages(self) -> list[dict[str, Any]]:
        params = {"after": self.cursor} if self.cursor is not None else {}
        page = self.client.get(
            f"/api/v1/customer/conversations/{self.conversation_id}/messages",
            params={**params, "limit": 200},
            headers=self.headers,
        )
        assert page.status_code == 200, page.text
        items = page.json()["items"]
        if items:
            self.cursor = items[-1]["id"]
        self.seen.extend(items)
        return items

    def status(self) -> str:
        response = self.client.get(
            f"/api/v1/customer/conversations/{self.conversation_id}", headers=self.headers
        )
        return str(response.json()["status"])


@pytest.fixture
def start_chat(client: TestClient, settings: Settings, clock: FixedClock):  # type: ignore[no-untyped-def]
    """Start a conversation as a visitor with a contact, or as a logged-in shop user."""

    def start(*, contact: str | None = None, shop_user_id: str | None = None) -> Chat:
        headers: dict[str, str] = {}
        if shop_user_id is not None:
            expires = int(clock.now().timestamp()) + 3600
            token = sign_shop_token(settings.resolved_shop_token_secret(), shop_user_id, expires)
            headers["X-Shop-Token"] = token
        body = {"contact": contact} if contact else {}
        response = client.post("/api/v1/customer/conversations", json=body, headers=headers)
        assert response.status_code == 201, response.text
        data = response.json()
        if shop_user_id is None:
            headers = {"X-Conversation-Token": data["token"]}
        chat = Chat(client, data["conversation"]["id"], headers)
        chat.new_messages()
        return chat

    return start


@pytest.fixture
def examples(demo: DemoStoreConnector) -> dict[str, ExampleOrder]:
    return demo.example_orders()


def orders_of_case(demo: DemoStoreConnector, case: str) -> list[ShopOrder]:
    """Every demo order generated for ``case`` (the shop keeps the label), newest first."""
    with demo.shop.database.reading() as session:
        found = list(
            session.scalars(
                select(ShopOrder)
                .where(ShopOrder.scenario == case)
                .order_by(ShopOrder.created_at.desc())
            )
        )
        session.expunge_all()
        return found


def bot_tickets(database: Database, conversation_id: str) -> list[Ticket]:
    with database.reading() as session:
        found = list(
            session.scalars(select(Ticket).where(Ticket.conversation_id == conversation_id))
        )
        session.expunge_all()  # keep the loaded values past the read's rollback
        return found
