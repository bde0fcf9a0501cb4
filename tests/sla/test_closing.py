"""Closing honestly: confirm to close, notice then grace period, never while money or an
action is open, and reopening only inside the window. The customer's steps go through
the public HTTP API, the staff's through the staff API."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.factories import StaffTeam, login_headers
from tests.sla.conftest import Desk

from yiwen.auth.audit import Actor
from yiwen.core.db import Database
from yiwen.core.events import DomainEvent, bus
from yiwen.sla.models import SlaCompensation, TicketClosing
from yiwen.store.connectors.demo.connector import DemoStoreConnector
from yiwen.tickets import service as tickets
from yiwen.tickets.models import Ticket

BASE = "/api/v1/customer"
HOUR = timedelta(hours=1)


class Customer:
    """One customer with a resolved ticket, and the staff who resolved it."""

    def __init__(self, client: TestClient, team: StaffTeam) -> None:
        self.client = client
        response = client.post(
            f"{BASE}/tickets",
            json={
                "category": "order_status",
                "description": "想确认订单状态",
                "demand": "explain",
                "contact": "13700137000",
            },
        )
        assert response.status_code == 201, response.text
        body = response.json()
        self.number: str = body["ticket"]["number"]
        self.headers = {"X-Conversation-Token": body["token"]}
        self.staff = login_headers(client, team.l1.username)

    def ticket_id(self, database: Database) -> str:
        from sqlalchemy import select

        with database.reading() as db:
            found = db.scalar(select(Ticket.id).where(Ticket.number == self.number))
            assert found is not None
            return found

    def resolve(self, database: Database) -> None:
        response = self.client.post(
            f"/api/v1/tickets/{self.ticket_id(database)}/resolve",
            json={"note": "订单已发货"},
            headers=self.staff,
        )
        assert response.status_code == 200, response.text

    def view(self) -> dict[str, Any]:
        response = self.client.get(f"{BASE}/tickets/{self.number}", headers=self.headers)
        assert response.status_code == 200, response.text
        return dict(response.json())

    def post(self, action: str, **body: object) -> Any:
        return self.client.post(
            f"{BASE}/tickets/{self.number}/{action}", json=body, headers=self.headers
        )


@pytest.fixture
def customer(client: TestClient, team: StaffTeam) -> Customer:
    return Customer(client, team)


def texts(view: dict[str, Any]) -> list[str]:
    return [entry["text"] for entry in view["timeline"]]


def test_a_resolution_asks_the_customer_to_confirm(customer: Customer, desk: Desk) -> None:
    customer.resolve(desk.database)
    assert any("问题已解决了吗？" in text for text in texts(customer.view()))


def test_the_customer_confirming_closes_the_ticket(customer: Customer, desk: Desk) -> None:
    customer.resolve(desk.database)
    response = customer.post("confirm")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "closed"


def test_confirming_an_unresolved_ticket_is_refused(customer: Customer, desk: Desk) -> None:
    response = customer.post("confirm")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "confirm_not_resolved"
    assert customer.view()["status"] == "new"


def test_someone_elses_ticket_cannot_be_confirmed(
    customer: Customer, client: TestClient, team: StaffTeam, desk: Desk
) -> None:
    customer.resolve(desk.database)
    stranger = client.post(
        f"{BASE}/tickets",
        json={"category": "presale", "description": "多少钱", "demand": "explain"},
    ).json()["token"]
    response = client.post(
        f"{BASE}/tickets/{customer.number}/confirm", headers={"X-Conversation-Token": stranger}
    )
    assert response.status_code == 404
    assert customer.view()["status"] == "resolved"


def test_silence_closes_after_the_notice_and_the_grace_period(
    customer: Customer, desk: Desk
) -> None:
    notices: list[DomainEvent] = []
    bus.subscribe("ticket.close_notice", notices.append)
    try:
        customer.resolve(desk.database)
        desk.clock.advance(23 * HOUR)
        desk.sweep_closing()
        assert customer.view()["status"] == "resolved"
        desk.clock.advance(2 * HOUR)
        desk.sweep_closing()
        assert len(notices) == 1
        assert any("若72小时内无回复将自动关闭" in text for text in texts(customer.view()))
        desk.clock.advance(71 * HOUR)
        desk.sweep_closing()
        assert customer.view()["status"] == "resolved"
        desk.clock.advance(2 * HOUR)
        desk.sweep_closing()
        assert customer.view()["status"] == "closed"
    finally:
        bus.unsubscribe("ticket.close_notice", notices.append)


def test_a_customer_reply_starts_the_notice_over(customer: Customer, desk: Desk) -> None:
    customer.resolve(desk.database)
    desk.clock.advance(25 * HOUR)
    desk.sweep_closing()
    desk.clock.advance(70 * HOUR)
    reply = customer.post("replies", client_msg_id="r-1", body="好像还是不行")
    assert reply.status_code == 201, reply.text
    desk.clock.advance(3 * HOUR)
    desk.sweep_closing()
    assert customer.view()["status"] == "resolved"


def test_nothing_is_auto_closed_while_a_refund_is_pending(
    customer: Customer, desk: Desk, demo: DemoStoreConnector
) -> None:
    ticket_id = customer.ticket_id(desk.database)
    # The ticket concerns an order whose refund the demo shop booked but has not paid back.
    order = demo.example_orders()["refund_pending"]
    desk.act(ticket_id, tickets.link_order, order.order_no, actor=Actor.staff(desk.team.finance))
    customer.resolve(desk.database)
    desk.clock.advance(200 * HOUR)
    for _ in range(3):
        desk.sweep_closing()
        desk.clock.advance(2 * HOUR)
    assert customer.view()["status"] == "resolved"
    with desk.database.reading() as db:
        row = db.get(TicketClosing, ticket_id)
        assert row is not None and row.held_reason == "refund" and row.notice_at is None
    # The customer confirming does not close it either while the money is on its way.
    assert customer.post("confirm").json()["status"] == "resolved"
    desk.clock.advance(2 * HOUR)
    desk.sweep_closing()
    assert customer.view()["status"] == "resolved"


def test_an_unpaid_compensation_holds_the_ticket_open(customer: Customer, desk: Desk) -> None:
    customer.resolve(desk.database)
    ticket_id = customer.ticket_id(desk.database)
    with desk.database.transaction() as db:
        db.add(
            SlaCompensation(
                ticket_id=ticket_id,
                amount=5,
                idempotency_key=f"sla-compensation:{ticket_id}:x",
                status="pending",
                attempts=1,
                created_at=desk.clock.now(),
            )
        )
    desk.clock.advance(100 * HOUR)
    desk.sweep_closing()
    desk.clock.advance(100 * HOUR)
    desk.sweep_closing()
    assert customer.view()["status"] == "resolved"


def test_the_customer_may_reopen_inside_the_window(customer: Customer, desk: Desk) -> None:
    customer.resolve(desk.database)
    customer.post("confirm")
    desk.clock.advance(timedelta(days=6))
    response = customer.post("reopen", reason="又不行了")
    assert response.status_code == 200, response.text
    assert response.json()["status"] in ("new", "open")


def test_reopening_after_the_window_is_refused_with_advice(customer: Customer, desk: Desk) -> None:
    customer.resolve(desk.database)
    customer.post("confirm")
    desk.clock.advance(timedelta(days=7, minutes=1))
    response = customer.post("reopen", reason="又不行了")
    assert response.status_code == 409
    body = response.json()
    assert body["error"]["code"] == "reopen_window_passed"
    assert "新的工单" in body["error"]["message"]
    assert customer.view()["status"] == "closed"


def test_a_confirmed_ticket_closes_only_once_the_supplier_has_answered(
    client: TestClient, team: StaffTeam, desk: Desk, demo: DemoStoreConnector
) -> None:
    order = demo.example_orders()["push_slow"]  # a push to the supplier still on its way
    submitted = client.post(
        f"{BASE}/tickets",
        json={
            "category": "delivery_missing",
            "description": "付款后卡密一直没收到",
            "demand": "resend",
            "order_no": order.order_no,
            "contact": order.contact,
        },
    )
    assert submitted.status_code == 201, submitted.text
    number = submitted.json()["ticket"]["number"]
    customer = {"X-Conversation-Token": submitted.json()["token"]}
    staff = login_headers(client, team.l1.username)
    with desk.database.reading() as db:
        ticket_id = db.scalar(select(Ticket.id).where(Ticket.number == number))
    resolved = client.post(
        f"/api/v1/tickets/{ticket_id}/resolve", json={"note": "上游正在发货"}, headers=staff
    )
    assert resolved.status_code == 200, resolved.text
    confirmed = client.post(f"{BASE}/tickets/{number}/confirm", headers=customer)
    assert confirmed.json()["status"] == "resolved"
    with desk.database.reading() as db:
        row = db.get(TicketClosing, ticket_id)
        assert row is not None and row.held_reason == "supplier"
    desk.clock.advance(2 * HOUR)  # the demo supplier answers within the hour
    desk.sweep_closing()
    view = client.get(f"{BASE}/tickets/{number}", headers=customer).json()
    assert view["status"] == "closed"


def test_a_ticket_resolved_before_its_clock_existed_can_still_be_confirmed(
    customer: Customer, desk: Desk
) -> None:
    customer.resolve(desk.database)
    ticket_id = customer.ticket_id(desk.database)
    with desk.database.transaction() as db:
        row = db.get(TicketClosing, ticket_id)
        assert row is not None
        db.delete(row)
    response = customer.post("confirm")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "closed"
    assert desk.count(TicketClosing, ticket_id=ticket_id) == 0
