"""Fixtures of the agent-workspace tests: staff seats, customers who report problems, and
read-only looks into Yiwen's tables and the demo shop to prove what changed (or did not)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.factories import StaffTeam, login_headers
from yiwen.auth.audit import AuditEntry
from yiwen.core.db import Database
from yiwen.core.settings import Settings
from yiwen.store.connectors.demo.connector import DemoStoreConnector
from yiwen.store.connectors.demo.models import ShopOrder
from yiwen.store.connectors.demo.shop import ExampleOrder
from yiwen.tickets.models import Ticket, TicketEvent
from yiwen.workspace.models import OrderAction

Headers = dict[str, str]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The workspace is the human workflow; the bot (tested in tests/bot) is switched off."""
    return settings.model_copy(update={"bot_enabled": False})


@dataclass(frozen=True)
class Reported:
    """A ticket a customer opened through the public ticket form, and how they read it back."""

    id: str
    number: str
    customer_id: str
    conversation_id: str
    customer: Headers  # the customer's conversation token


class Seats:
    """Bearer headers per staff username (``admin``, ``l1``, ``l2``, ``security``…), logged in
    once per test through the real login endpoint."""

    def __init__(self, client: TestClient) -> None:
        self._client = client
        self._headers: dict[str, Headers] = {}

    def __call__(self, username: str) -> Headers:
        if username not in self._headers:
            self._headers[username] = login_headers(self._client, username)
        return self._headers[username]


@pytest.fixture
def seat(client: TestClient, team: StaffTeam) -> Seats:
    return Seats(client)


@pytest.fixture
def cases(demo: DemoStoreConnector) -> dict[str, ExampleOrder]:
    return demo.example_orders()


class Reporter:
    """Customers opening tickets the way the portal does (``POST /api/v1/customer/tickets``)."""

    def __init__(self, client: TestClient, database: Database) -> None:
        self._client = client
        self._database = database
        self._count = 0

    def __call__(
        self,
        *,
        category: str = "delivery_missing",
        order_no: str | None = None,
        contact: str | None = None,
        description: str = "付款后一直没有收到卡密",
        demand: str = "resend",
        urgent: bool = False,
        display_name: str | None = None,
        customer: Headers | None = None,
    ) -> Reported:
        """Open a ticket; ``display_name`` first starts a named conversation, ``customer``
        reuses an existing customer's token (a second ticket of the same customer)."""
        self._count += 1
        headers = dict(customer or {})
        if display_name is not None:
            started = self._client.post(
                "/api/v1/customer/conversations",
                json={"display_name": display_name, "contact": contact},
            )
            assert started.status_code == 201, started.text
            headers = {"X-Conversation-Token": started.json()["token"]}
        form: dict[str, Any] = {
            "category": category,
            "description": description,
            "demand": demand,
            "urgent": urgent,
        }
        if order_no is not None:
            form["order_no"] = order_no
        if contact is not None:
            form["contact"] = contact
        submitted = self._client.post("/api/v1/customer/tickets", json=form, headers=headers)
        assert submitted.status_code == 201, submitted.text
        body = submitted.json()
        if body["token"]:
            headers = {"X-Conversation-Token": body["token"]}
        with self._database.reading() as db:
            ticket = db.scalars(
                select(Ticket).where(Ticket.number == body["ticket"]["number"])
            ).one()
            return Reported(
                id=ticket.id,
                number=ticket.number,
                customer_id=ticket.customer_id,
                conversation_id=body["conversation"]["id"],
                customer=headers,
            )


@pytest.fixture
def report(client: TestClient, database: Database) -> Reporter:
    return Reporter(client, database)


def customer_messages(client: TestClient, reported: Reported) -> list[dict[str, Any]]:
    """Everything the customer can read in their conversation."""
    response = client.get(
        f"/api/v1/customer/conversations/{reported.conversation_id}/messages",
        params={"limit": 200},
        headers=reported.customer,
    )
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def customer_view(client: TestClient, reported: Reported) -> dict[str, Any]:
    """The ticket as its customer sees it (stage, handler, public timeline)."""
    response = client.get(f"/api/v1/customer/tickets/{reported.number}", headers=reported.customer)
    assert response.status_code == 200, response.text
    view: dict[str, Any] = response.json()
    return view


def staff_ticket(client: TestClient, headers: Headers, ticket_id: str) -> dict[str, Any]:
    response = client.get(f"/api/v1/tickets/{ticket_id}", headers=headers)
    assert response.status_code == 200, response.text
    detail: dict[str, Any] = response.json()
    return detail


def audit_entries(database: Database, action: str, **where: str) -> list[AuditEntry]:
    """Audit entries of one action (optionally by target_id / actor_id), by time; entries of
    the same moment (the clock is fixed) come in no particular order."""
    with database.reading() as db:
        query = select(AuditEntry).where(AuditEntry.action == action)
        for column, value in where.items():
            query = query.where(getattr(AuditEntry, column) == value)
        entries = list(db.scalars(query.order_by(AuditEntry.at, AuditEntry.id)))
        db.expunge_all()  # keep the loaded values after the read's rollback
        return entries


def events_of(database: Database, ticket_id: str, kind: str | None = None) -> list[TicketEvent]:
    with database.reading() as db:
        query = select(TicketEvent).where(TicketEvent.ticket_id == ticket_id)
        if kind is not None:
            query = query.where(TicketEvent.kind == kind)
        events = list(db.scalars(query.order_by(TicketEvent.id)))
        db.expunge_all()
        return events


def order_action_count(database: Database) -> int:
    with database.reading() as db:
        return db.scalar(select(func.count()).select_from(OrderAction)) or 0


def ticket_row(database: Database, ticket_id: str) -> Ticket:
    with database.reading() as db:
        ticket = db.get(Ticket, ticket_id)
        assert ticket is not None
        db.expunge_all()
        return ticket


def order_worth_at_least(demo: DemoStoreConnector, amount: Decimal) -> str:
    """A delivered, untouched demo order of at least ``amount`` yuan (for bigger refunds)."""
    with demo.shop.database.reading() as session:
        order_no = session.scalars(
            select(ShopOrder.order_no)
            .where(
                ShopOrder.status == "delivered",
                ShopOrder.amount >= amount,
                ShopOrder.refunded_amount == 0,
                ShopOrder.scenario.in_(("delivered_ok", "topup_delivered")),
            )
            .order_by(ShopOrder.created_at.desc(), ShopOrder.order_no)
            .limit(1)
        ).first()
    assert order_no is not None, f"the demo shop has no delivered order of {amount} yuan"
    return order_no
