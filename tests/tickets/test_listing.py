"""The inbox views: every filter pages through exactly its tickets, newest activity first.

Views over several statuses are answered as one short walk per status, merged
(tickets/listing.py); these tests compare every page of every view with the
same filter applied in Python to the rows, on a set with many ties on
``updated_at`` so that the id must break them, across page boundaries too.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from yiwen.auth.models import StaffUser
from yiwen.core.db import Database
from yiwen.customers.models import Customer
from yiwen.tickets.listing import TicketFilter, list_tickets
from yiwen.tickets.models import Ticket
from yiwen.tickets.status import OPEN_STATUSES, STATUSES

START = datetime(2026, 11, 1, tzinfo=UTC)
AGENTS = ("ag1", "ag2")
QUEUES = ("finance", "supplier", None)
PRIORITIES = ("low", "normal", "high", "urgent")
CATEGORIES = ("delivery_missing", "refund_request", "card_invalid")


@pytest.fixture
def tickets(database: Database) -> list[Ticket]:
    """120 tickets; updated_at takes only 15 values, so most share their moment."""
    rng = random.Random(5)
    made = []
    with database.transaction() as db:
        customers = [
            Customer(id=f"cu{n}", tier="normal", tags=[], created_at=START, updated_at=START)
            for n in range(4)
        ]
        db.add_all(customers)
        db.add_all(
            StaffUser(
                id=a, username=a, display_name=a, role="agent_l1", password_hash="x",
                is_active=True, created_at=START, password_changed_at=START,
            )
            for a in AGENTS
        )  # fmt: skip
        db.flush()
        for n in range(120):
            moment = START + timedelta(minutes=rng.randrange(15))
            ticket = Ticket(
                number=f"T{n:04d}",
                customer_id=customers[n % 4].id,
                channel="web",
                category=rng.choice(CATEGORIES),
                priority=rng.choice(PRIORITIES),
                urgent=rng.random() < 0.2,
                status=rng.choice(STATUSES),
                subject="卡密没到",
                assignee_id=rng.choice((*AGENTS, None)),
                queue=rng.choice(QUEUES),
                created_at=moment,
                updated_at=moment,
            )
            db.add(ticket)
            made.append(ticket)
    return made


def _matches(filters: TicketFilter) -> Callable[[Ticket], bool]:
    statuses = filters.statuses or (OPEN_STATUSES if filters.open_only else STATUSES)

    def keep(t: Ticket) -> bool:
        return (
            t.status in statuses
            and (filters.assignee_id is None or t.assignee_id == filters.assignee_id)
            and (not filters.unassigned or t.assignee_id is None)
            and (filters.category is None or t.category == filters.category)
            and (filters.priority is None or t.priority == filters.priority)
            and (filters.queue is None or t.queue == filters.queue)
            and (filters.urgent is None or t.urgent == filters.urgent)
            and (filters.customer_id is None or t.customer_id == filters.customer_id)
        )

    return keep


VIEWS = [
    TicketFilter(),
    TicketFilter(open_only=True),
    TicketFilter(statuses=("pending_supplier",)),
    TicketFilter(statuses=("new", "closed", "open")),
    TicketFilter(assignee_id="ag1"),
    TicketFilter(assignee_id="ag2", open_only=True),
    TicketFilter(unassigned=True),
    TicketFilter(unassigned=True, statuses=("new", "resolved")),
    TicketFilter(queue="finance", open_only=True),
    TicketFilter(queue="supplier"),
    TicketFilter(category="refund_request", open_only=True),
    TicketFilter(priority="high", open_only=True),
    TicketFilter(priority="urgent"),
    TicketFilter(urgent=True, open_only=True),
    TicketFilter(customer_id="cu1", open_only=True),
    TicketFilter(assignee_id="ag1", queue="finance", category="card_invalid"),
]


@pytest.mark.parametrize("filters", VIEWS, ids=repr)
@pytest.mark.parametrize("limit", [1, 7, 50])
def test_every_view_pages_through_exactly_its_tickets_newest_first(
    filters: TicketFilter, limit: int, tickets: list[Ticket], database: Database
) -> None:
    expected = sorted(
        (t for t in tickets if _matches(filters)(t)),
        key=lambda t: (t.updated_at, t.id),
        reverse=True,
    )
    walked: list[str] = []
    cursor = None
    with database.reading() as db:
        while True:
            rows, cursor = list_tickets(db, filters, cursor=cursor, limit=limit)
            assert len(rows) <= limit
            walked.extend(t.id for t in rows)
            if cursor is None:
                break
            assert len(walked) <= len(tickets), "the cursor never ends"
    assert walked == [t.id for t in expected]
    assert expected, "the data set must give every view something to list"
