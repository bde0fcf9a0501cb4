"""Ticket history built through the real ticket services, moment by moment on the clock.

``History`` sets the injected clock to each Asia/Shanghai moment, then acts in
its own transaction, so every timestamp a KPI reads was written by the code
that writes it in production.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories import StaffTeam, login_headers
from yiwen.auth.audit import Actor
from yiwen.auth.models import StaffUser
from yiwen.core.clock import SHANGHAI, FixedClock
from yiwen.core.db import Database
from yiwen.customers.service import find_or_create_customer
from yiwen.tickets import service as tickets
from yiwen.tickets.models import Ticket

Headers = dict[str, str]


def local(text: str) -> datetime:
    """``"2026-11-10 09:00"`` read as Asia/Shanghai."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


class History:
    def __init__(self, database: Database, clock: FixedClock) -> None:
        self.database = database
        self.clock = clock
        self._customers = 0

    def _at(self, when: str, act: Callable[[Session], object]) -> None:
        self.clock.set(local(when))
        with self.database.transaction() as db:
            act(db)

    def ticket(self, when: str, *, category: str = "card_invalid", channel: str = "web") -> str:
        self.clock.set(local(when))
        self._customers += 1
        with self.database.transaction() as db:
            customer = find_or_create_customer(
                db, self.clock, channel="web", external_id=f"visitor-{self._customers}"
            )
            ticket = tickets.open_ticket(
                db,
                self.clock,
                tickets.NewTicket(
                    customer_id=customer.id, channel=channel, category=category, subject="卡密没到"
                ),
                actor=Actor.customer(customer.id),
                prefix="YW",
            )
            return ticket.id

    def assign(self, ticket_id: str, when: str, agent: StaffUser | None, by: StaffUser) -> None:
        self._at(
            when,
            lambda db: tickets.assign_ticket(
                db,
                self.clock,
                tickets.get_ticket(db, ticket_id),
                assignee_id=agent.id if agent else None,
                assignee_name=agent.display_name if agent else None,
                actor=Actor.staff(by),
            ),
        )

    def respond(self, ticket_id: str, when: str, by: StaffUser) -> None:
        self._at(
            when,
            lambda db: tickets.note_first_response(
                db, self.clock, tickets.get_ticket(db, ticket_id), actor=Actor.staff(by)
            ),
        )

    def resolve(self, ticket_id: str, when: str, by: StaffUser | None) -> None:
        """Resolve as ``by``, or as the bot when ``by`` is None."""
        actor = Actor.staff(by) if by else Actor.bot()
        self._at(
            when,
            lambda db: tickets.resolve_ticket(
                db, self.clock, tickets.get_ticket(db, ticket_id), actor=actor, note="已补发卡密"
            ),
        )

    def reopen(self, ticket_id: str, when: str) -> None:
        def act(db: Session) -> None:
            ticket = tickets.get_ticket(db, ticket_id)
            tickets.reopen_ticket(
                db, self.clock, ticket, actor=Actor.customer(ticket.customer_id), reason="还是不行"
            )

        self._at(when, act)

    def set_status(self, ticket_id: str, when: str, status: str, by: StaffUser) -> None:
        self._at(
            when,
            lambda db: tickets.change_status(
                db, self.clock, tickets.get_ticket(db, ticket_id), status, actor=Actor.staff(by)
            ),
        )

    def rate(self, ticket_id: str, when: str, score: int) -> None:
        def act(db: Session) -> None:
            ticket = tickets.get_ticket(db, ticket_id)
            tickets.rate_ticket(
                db,
                self.clock,
                ticket,
                score=score,
                comment="",
                actor=Actor.customer(ticket.customer_id),
            )

        self._at(when, act)

    def promise(
        self,
        ticket_id: str,
        *,
        first_response_by: str | None = None,
        resolution_by: str | None = None,
        queue: str | None = None,
    ) -> None:
        """Fix a ticket's deadlines and queue as the SLA engine and routing would have set them.

        Written last and directly, so the figures under test do not depend on
        which policy or calendar is configured.
        """
        with self.database.transaction() as db:
            ticket = db.get(Ticket, ticket_id)
            assert ticket is not None
            if first_response_by is not None:
                ticket.first_response_due_at = local(first_response_by)
            if resolution_by is not None:
                ticket.due_at = local(resolution_by)
            if queue is not None:
                ticket.queue = queue


@pytest.fixture
def history(database: Database, clock: FixedClock) -> History:
    return History(database, clock)


class Seats:
    """Bearer headers per username, logged in once through the real login endpoint."""

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
