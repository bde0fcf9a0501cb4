"""Fixtures of the SLA tests: tickets opened through the ticket service (so the clock
starts through the real in-transaction reactions), the sweeps as the worker runs
them, and a shop whose coupon desk can be taken down."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from tests.factories import StaffTeam

from yiwen.auth.audit import Actor
from yiwen.auth.models import StaffUser
from yiwen.conversations import service as conversations
from yiwen.core.clock import FixedClock
from yiwen.core.db import Database
from yiwen.customers.models import Customer
from yiwen.customers.service import find_or_create_customer
from yiwen.sla import jobs
from yiwen.sla.jobs import SweepResult
from yiwen.sla.models import TicketSla
from yiwen.store.connectors.demo.connector import DemoStoreConnector
from yiwen.store.connectors.demo.models import ShopCoupon
from yiwen.store.protocol import ActionResult, StoreUnavailable
from yiwen.tickets import service as tickets
from yiwen.tickets.models import Ticket
from yiwen.workspace.service import reply_to_ticket

CONTACT = "13800138000"


class ShopWithOutage:
    """The demo shop behind a switch that makes its coupon desk unreachable.

    It stands in for a real shop's outage (the demo shop itself is always up);
    everything else is the demo shop speaking the connector protocol.
    """

    def __init__(self, shop: DemoStoreConnector) -> None:
        self._shop = shop
        self.down = False
        self.calls = 0

    def __getattr__(self, name: str) -> object:
        return getattr(self._shop, name)

    def issue_coupon(self, **kwargs: object) -> ActionResult:
        self.calls += 1
        if self.down:
            raise StoreUnavailable("shop timed out", retry_after=30)
        return self._shop.issue_coupon(**kwargs)  # type: ignore[arg-type]


@pytest.fixture
def store(demo: DemoStoreConnector) -> ShopWithOutage:
    return ShopWithOutage(demo)


def coupons_issued(demo: DemoStoreConnector, contact: str = CONTACT) -> list[Decimal]:
    with demo.shop.database.reading() as session:
        return list(session.scalars(select(ShopCoupon.amount).where(ShopCoupon.contact == contact)))


@dataclass
class Desk:
    """The help desk as the tests drive it: open, reply, pause, resolve, sweep."""

    database: Database
    clock: FixedClock
    store: ShopWithOutage
    team: StaffTeam

    def open(
        self,
        category: str = "order_status",
        *,
        urgent: bool = False,
        vip: bool = False,
        contact: str = CONTACT,
        assignee: StaffUser | None = None,
    ) -> str:
        with self.database.transaction() as db:
            customer = find_or_create_customer(db, self.clock, channel="phone", external_id=contact)
            if vip:
                customer.tier = "vip"
            conversation, _token = conversations.start_conversation(
                db, self.clock, customer, channel="web"
            )
            ticket = tickets.open_ticket(
                db,
                self.clock,
                tickets.NewTicket(
                    customer_id=customer.id,
                    channel="web",
                    category=category,
                    subject="测试工单",
                    urgent=urgent,
                    contact=contact,
                    conversation_id=conversation.id,
                ),
                actor=Actor.customer(customer.id),
                prefix="YW",
            )
            if assignee is not None:
                tickets.assign_ticket(
                    db,
                    self.clock,
                    ticket,
                    assignee_id=assignee.id,
                    assignee_name=assignee.display_name,
                    actor=Actor.staff(assignee),
                )
            return ticket.id

    def ticket(self, ticket_id: str) -> Ticket:
        with self.database.reading() as db:
            found = db.get(Ticket, ticket_id)
            assert found is not None
            db.expunge(found)  # keep the loaded values after the read ends
            return found

    def clock_of(self, ticket_id: str) -> TicketSla:
        with self.database.reading() as db:
            found = db.get(TicketSla, ticket_id)
            assert found is not None
            db.expunge(found)
            return found

    def act(
        self, ticket_id: str, change: Callable[..., object], *args: object, **kw: object
    ) -> None:
        """Run a ticket service function on the ticket in a transaction of its own."""
        with self.database.transaction() as db:
            change(db, self.clock, tickets.get_ticket(db, ticket_id), *args, **kw)

    def status(self, ticket_id: str, target: str) -> None:
        self.act(ticket_id, tickets.change_status, target, actor=Actor.staff(self.team.l1))

    def resolve(self, ticket_id: str) -> None:
        self.act(
            ticket_id, tickets.resolve_ticket, actor=Actor.staff(self.team.l1), note="已补发卡密"
        )

    def agent_reply(self, ticket_id: str, agent: StaffUser | None = None) -> None:
        with self.database.transaction() as db:
            ticket = tickets.get_ticket(db, ticket_id)
            reply_to_ticket(
                db, self.clock, ticket, agent or self.team.l1, "您好，正在处理", max_chars=5000
            )

    def customer_message(self, ticket_id: str, body: str = "还没好吗？") -> None:
        with self.database.transaction() as db:
            ticket = tickets.get_ticket(db, ticket_id)
            conversation = conversations.get_conversation(db, ticket.conversation_id or "")
            conversations.post_customer_message(
                db,
                self.clock,
                conversation,
                body=body,
                client_msg_id=f"m-{self.clock.now().timestamp()}",
                attachment_ids=[],
                max_chars=5000,
            )

    def sweep(self) -> SweepResult:
        with self.database.transaction() as db:
            return jobs.sweep_sla(db, self.clock, self.store)  # type: ignore[arg-type]

    def sweep_closing(self) -> int:
        with self.database.transaction() as db:
            return jobs.sweep_closing(db, self.clock, self.store)  # type: ignore[arg-type]

    def count(self, model: type, **where: object) -> int:
        with self.database.reading() as db:
            query = select(func.count()).select_from(model)
            for name, value in where.items():
                query = query.where(getattr(model, name) == value)
            return int(db.scalar(query) or 0)

    def customer_of(self, ticket_id: str) -> Customer:
        with self.database.reading() as db:
            customer = db.get(Customer, self.ticket(ticket_id).customer_id)
            assert customer is not None
            return customer


@pytest.fixture
def desk(database: Database, clock: FixedClock, store: ShopWithOutage, team: StaffTeam) -> Desk:
    return Desk(database, clock, store, team)
