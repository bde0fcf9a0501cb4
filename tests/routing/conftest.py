"""Fixtures of the routing tests: agents with routing profiles, and customers whose work waits.

Work is created through the real services (a conversation started while the
bot is off, a ticket opened on it) in one unit of work, so routing reacts as
it does in production: before that unit of work commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.factories import make_staff
from yiwen.auth.audit import Actor
from yiwen.auth.models import StaffUser
from yiwen.conversations.models import Conversation
from yiwen.conversations.service import start_conversation
from yiwen.core.clock import FixedClock
from yiwen.core.db import Database
from yiwen.core.settings import Settings
from yiwen.customers.models import Customer
from yiwen.customers.service import find_or_create_customer
from yiwen.routing.presence import set_presence, update_profile
from yiwen.routing.vip import set_customer_routing
from yiwen.tickets.models import Ticket
from yiwen.tickets.service import NewTicket, open_ticket, resolve_ticket


@dataclass(frozen=True)
class Work:
    customer_id: str
    conversation_id: str
    ticket_id: str | None
    token: str


class Desk:
    """Agents and waiting customers, made the way production makes them."""

    def __init__(self, database: Database, clock: FixedClock) -> None:
        self.database = database
        self.clock = clock
        self._agents = 0
        self._customers = 0

    def agent(
        self,
        name: str | None = None,
        *,
        role: str = "agent_l1",
        skills: list[str] | None = None,
        tier: str | None = None,
        capacity: int = 5,
        hourly_cap: int | None = None,
        presence: str = "online",
    ) -> StaffUser:
        self._agents += 1
        username = name or f"agent{self._agents}"
        agent = make_staff(self.database, self.clock, role, username=username)
        with self.database.transaction() as db:
            update_profile(
                db,
                self.clock,
                agent.id,
                actor=Actor.system(),
                skills=skills,
                tier=tier,
                capacity=capacity,
                hourly_cap=hourly_cap,
            )
            set_presence(db, self.clock, db.get(StaffUser, agent.id), presence)
        return agent

    def presence(self, agent: StaffUser, presence: str) -> None:
        with self.database.transaction() as db:
            set_presence(db, self.clock, db.get(StaffUser, agent.id), presence)

    def customer(self, *, vip: bool = False, dedicated: StaffUser | None = None) -> str:
        self._customers += 1
        with self.database.transaction() as db:
            customer = find_or_create_customer(
                db, self.clock, channel="web", external_id=f"visitor-{self._customers}"
            )
            customer_id = customer.id
        if vip or dedicated:
            with self.database.transaction() as db:
                set_customer_routing(
                    db,
                    self.clock,
                    customer_id,
                    vip=vip,
                    dedicated_agent_id=dedicated.id if dedicated else None,
                    actor=Actor.system(),
                )
        return customer_id

    def waiting(
        self,
        customer_id: str | None = None,
        *,
        category: str | None = "delivery_missing",
        urgent: bool = False,
        priority: str | None = None,
        due_in: timedelta | None = None,
        key_info: dict[str, object] | None = None,
        later: timedelta = timedelta(minutes=1),
    ) -> Work:
        """A conversation started while the bot is off, with a ticket of ``category``;
        the clock moves on by ``later`` first so arrivals have distinct ages."""
        self.clock.advance(later)
        customer_id = customer_id or self.customer()
        with self.database.transaction() as db:
            customer = db.get(Customer, customer_id)
            assert customer is not None
            conversation, token = start_conversation(db, self.clock, customer, channel="web")
            ticket_id = None
            if category is not None:
                ticket = open_ticket(
                    db,
                    self.clock,
                    NewTicket(
                        customer_id=customer_id,
                        channel="web",
                        category=category,
                        subject="卡密没收到",
                        conversation_id=conversation.id,
                        urgent=urgent,
                        priority=priority,
                        key_info=dict(key_info or {}),
                    ),
                    actor=Actor.customer(customer_id),
                    prefix="YW",
                )
                if due_in is not None:
                    ticket.first_response_due_at = self.clock.now() + due_in
                    ticket.due_at = self.clock.now() + due_in
                ticket_id = ticket.id
            return Work(customer_id, conversation.id, ticket_id, token)

    def assignee(self, work: Work) -> str | None:
        with self.database.reading() as db:
            conversation = db.get(Conversation, work.conversation_id)
            assert conversation is not None
            if work.ticket_id is not None:
                ticket = db.get(Ticket, work.ticket_id)
                assert ticket is not None
                # The conversation and its ticket always go to the same agent.
                assert ticket.assignee_id == conversation.assignee_id
            return conversation.assignee_id

    def resolve(self, work: Work, agent: StaffUser) -> None:
        with self.database.transaction() as db:
            ticket = db.get(Ticket, work.ticket_id)
            resolve_ticket(db, self.clock, ticket, actor=Actor.staff(agent), note="已补发卡密")
            conversation = db.get(Conversation, work.conversation_id)
            conversation.status = "resolved"

    def tickets_of(self, agent: StaffUser) -> list[str]:
        with self.database.reading() as db:
            return list(db.scalars(select(Ticket.id).where(Ticket.assignee_id == agent.id)))


@pytest.fixture
def bot_enabled() -> bool:
    """Off here, so new conversations wait for a human at once; the handoff tests turn it on."""
    return False


@pytest.fixture
def settings(settings: Settings, bot_enabled: bool) -> Settings:
    return settings.model_copy(update={"bot_enabled": bot_enabled})


@pytest.fixture
def desk(database: Database, clock: FixedClock) -> Desk:
    return Desk(database, clock)
