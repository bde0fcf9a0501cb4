"""Routing picks the right agent under each rule, or leaves the work waiting."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import event, select

from tests.routing.conftest import Desk
from yiwen.conversations.models import Conversation
from yiwen.core.clock import FixedClock
from yiwen.core.db import Database
from yiwen.routing.assignment import assign_waiting_work
from yiwen.routing.models import AssignmentRecord, QueueEntry
from yiwen.tickets.models import Ticket, TicketEvent


def test_waiting_work_goes_to_the_least_loaded_skilled_agent(
    desk: Desk, database: Database
) -> None:
    busy = desk.agent("busy")
    first = desk.waiting()
    assert desk.assignee(first) == busy.id
    idle = desk.agent("idle")
    second = desk.waiting()
    assert desk.assignee(second) == idle.id
    with database.reading() as db:
        conversation = db.get(Conversation, second.conversation_id)
        ticket = db.get(Ticket, second.ticket_id)
        assert conversation is not None and ticket is not None
        assert conversation.status == "open"
        assert ticket.status == "open"
        assert ticket.queue == "general_l1"
        kinds = db.scalars(select(TicketEvent.kind).where(TicketEvent.ticket_id == ticket.id))
        assert "assigned" in set(kinds)
        rule = db.scalar(
            select(AssignmentRecord.rule).where(AssignmentRecord.ticket_id == ticket.id)
        )
        assert rule == "least_loaded"


def test_ties_go_to_fewest_assignments_in_the_last_hour_then_longest_idle(desk: Desk) -> None:
    first_agent = desk.agent("first")
    first = desk.waiting()
    assert desk.assignee(first) == first_agent.id
    desk.resolve(first, first_agent)
    second_agent = desk.agent("second")
    # Both hold nothing; the first already had one assignment this hour.
    second = desk.waiting()
    assert desk.assignee(second) == second_agent.id
    desk.resolve(second, second_agent)
    # Both hold nothing and had one this hour; the first has been idle longer.
    assert desk.assignee(desk.waiting()) == first_agent.id


def test_a_vip_gets_their_dedicated_agent_even_when_others_are_idle(desk: Desk) -> None:
    dedicated = desk.agent("dedicated")
    desk.waiting()
    desk.waiting()  # the dedicated agent now holds two conversations
    idle = desk.agent("idle")
    vip = desk.customer(vip=True, dedicated=dedicated)
    work = desk.waiting(vip)
    assert desk.assignee(work) == dedicated.id
    assert desk.assignee(desk.waiting()) == idle.id


def test_a_vip_whose_dedicated_agent_is_offline_is_served_by_the_pool(desk: Desk) -> None:
    dedicated = desk.agent("dedicated", presence="offline")
    other = desk.agent("other")
    vip = desk.customer(vip=True, dedicated=dedicated)
    assert desk.assignee(desk.waiting(vip)) == other.id


def test_a_returning_customer_gets_their_previous_agent(desk: Desk) -> None:
    previous = desk.agent("previous")
    customer = desk.customer()
    first = desk.waiting(customer)
    assert desk.assignee(first) == previous.id
    desk.waiting()
    desk.waiting()  # previous now holds three conversations
    idle = desk.agent("idle")
    again = desk.waiting(customer)
    assert desk.assignee(again) == previous.id
    assert desk.assignee(desk.waiting()) == idle.id


def test_a_returning_customer_is_not_sent_to_a_previous_agent_without_the_skill(
    desk: Desk,
) -> None:
    previous = desk.agent("previous")
    customer = desk.customer()
    desk.waiting(customer)
    finance = desk.agent("finance", role="finance")
    refund = desk.waiting(customer, category="refund_request")
    assert desk.assignee(refund) == finance.id
    assert previous.id != finance.id


def test_category_decides_the_department(desk: Desk, database: Database) -> None:
    general = desk.agent("general")
    liaison = desk.agent("liaison", role="supplier_liaison")
    security = desk.agent("security", role="security")
    assert desk.assignee(desk.waiting(category="card_invalid")) == liaison.id
    assert desk.assignee(desk.waiting(category="account_security")) == security.id
    assert desk.assignee(desk.waiting(category="how_to_use")) == general.id
    nobody = desk.waiting(category="refund_request")
    assert desk.assignee(nobody) is None
    with database.reading() as db:
        entry = db.scalar(select(QueueEntry).where(QueueEntry.ticket_id == nobody.ticket_id))
        assert entry is not None and entry.state == "waiting" and entry.queue_key == "finance_l1"


def test_l2_work_never_goes_to_an_l1_agent(desk: Desk) -> None:
    desk.agent("junior", tier="L1")
    complaint = desk.waiting(category="complaint")
    assert desk.assignee(complaint) is None
    senior = desk.agent("senior", role="agent_l2", tier="L2")
    assert desk.assignee(complaint) == senior.id


def test_l1_work_goes_to_an_l1_agent_before_an_idle_senior(desk: Desk) -> None:
    desk.agent("senior", role="agent_l2", tier="L2")
    junior = desk.agent("junior", tier="L1")
    desk.waiting()
    desk.waiting()
    assert len(desk.tickets_of(junior)) == 2


def test_work_waits_when_every_skilled_agent_is_full_and_moves_when_a_seat_frees(
    desk: Desk,
) -> None:
    agent = desk.agent("solo", capacity=1)
    first = desk.waiting()
    second = desk.waiting()
    assert desk.assignee(first) == agent.id
    assert desk.assignee(second) is None
    desk.resolve(first, agent)
    assert desk.assignee(second) == agent.id


def test_an_offline_or_away_agent_never_gets_work(desk: Desk) -> None:
    offline = desk.agent("offline", presence="offline")
    away = desk.agent("away", presence="away")
    work = desk.waiting()
    assert desk.assignee(work) is None
    desk.presence(away, "online")
    assert desk.assignee(work) == away.id
    desk.presence(away, "offline")
    assert desk.assignee(desk.waiting()) is None
    assert desk.tickets_of(offline) == []


def test_an_agent_coming_online_takes_the_most_urgent_waiting_work(desk: Desk) -> None:
    oldest = desk.waiting()
    urgent = desk.waiting(urgent=True)
    agent = desk.agent("late", capacity=1, presence="offline")
    desk.presence(agent, "online")
    assert desk.assignee(urgent) == agent.id
    assert desk.assignee(oldest) is None


def test_the_hourly_cap_holds_work_back_until_the_hour_has_passed(desk: Desk) -> None:
    capped = desk.agent("capped", hourly_cap=1)
    first = desk.waiting()
    second = desk.waiting()
    assert desk.assignee(first) == capped.id
    assert desk.assignee(second) is None
    desk.clock.advance(timedelta(minutes=61))
    desk.presence(capped, "away")
    desk.presence(capped, "online")
    assert desk.assignee(second) == capped.id


def test_manual_take_counts_towards_load_and_leaves_the_queue(
    desk: Desk, database: Database
) -> None:
    from yiwen.auth.audit import Actor
    from yiwen.auth.models import StaffUser
    from yiwen.tickets.service import assign_ticket

    taken = desk.waiting()  # nobody online: it waits
    agent = desk.agent("taker", capacity=1, presence="offline")
    with database.transaction() as db:
        ticket = db.get(Ticket, taken.ticket_id)
        me = db.get(StaffUser, agent.id)
        assert ticket is not None and me is not None
        assign_ticket(
            db, desk.clock, ticket, assignee_id=me.id, assignee_name="taker", actor=Actor.staff(me)
        )
    with database.reading() as db:
        entry = db.scalar(select(QueueEntry).where(QueueEntry.ticket_id == taken.ticket_id))
        assert entry is not None and entry.state == "withdrawn"
    desk.presence(agent, "online")
    assert desk.assignee(desk.waiting()) is None  # the manual take filled the only seat


def test_work_given_back_to_the_pool_waits_again_and_is_routed(
    desk: Desk, database: Database
) -> None:
    from yiwen.auth.audit import Actor
    from yiwen.tickets.service import assign_ticket

    agent = desk.agent("solo", capacity=1, presence="away")
    work = desk.waiting()
    desk.presence(agent, "online")
    assert desk.assignee(work) == agent.id
    desk.presence(agent, "away")
    with database.transaction() as db:
        # The agent hands the conversation and its ticket back before a break.
        conversation = db.get(Conversation, work.conversation_id)
        ticket = db.get(Ticket, work.ticket_id)
        assert conversation is not None and ticket is not None
        conversation.assignee_id, conversation.status = None, "waiting"
        assign_ticket(
            db, desk.clock, ticket, assignee_id=None, assignee_name=None, actor=Actor.system()
        )
    assert desk.assignee(work) is None
    helper = desk.agent("helper")
    assert desk.assignee(work) == helper.id
    with database.reading() as db:
        states = db.scalars(select(QueueEntry.state).where(QueueEntry.ticket_id == work.ticket_id))
        assert sorted(states) == ["assigned", "assigned"]


def test_a_customer_writing_again_after_a_resolution_is_queued_again(
    desk: Desk, database: Database
) -> None:
    from yiwen.conversations.service import post_customer_message

    work = desk.waiting(category=None)
    with database.transaction() as db:
        conversation = db.get(Conversation, work.conversation_id)
        assert conversation is not None
        conversation.status = "resolved"
    agent = desk.agent("solo")
    assert desk.assignee(work) is None  # resolved: nothing to do
    with database.transaction() as db:
        conversation = db.get(Conversation, work.conversation_id)
        assert conversation is not None
        post_customer_message(
            db,
            desk.clock,
            conversation,
            body="还是没到账",
            client_msg_id="again-1",
            attachment_ids=[],
            max_chars=5000,
        )
    assert desk.assignee(work) == agent.id


def test_a_pass_builds_entry_objects_only_for_the_entries_it_changes(
    desk: Desk, database: Database, clock: FixedClock
) -> None:
    """A pass reads every waiting entry; with hundreds waiting during a promotion it must
    not build an ORM object for each (that was most of an agent's reply). Only the
    entries it assigns, withdraws or tells a new place are loaded as objects."""
    works = [desk.waiting() for _ in range(6)]  # nobody online: all wait, all told a place
    loaded: list[object] = []

    def count(target: object, _context: object) -> None:
        loaded.append(target)

    event.listen(QueueEntry, "load", count)
    try:
        with database.transaction() as db:
            assert assign_waiting_work(db, clock) == 0
    finally:
        event.remove(QueueEntry, "load", count)
    assert loaded == []  # nothing changed: no entry was loaded as an object
    agent = desk.agent("one")  # coming online takes the most urgent waiting work
    taken = [work for work in works if desk.assignee(work) == agent.id]
    assert len(taken) >= 1
    with database.reading() as db:
        places = db.scalars(
            select(QueueEntry.notified_position)
            .where(QueueEntry.state == "waiting")
            .order_by(QueueEntry.notified_position)
        )
        # Everyone still waiting moved up and was told so.
        assert list(places) == list(range(1, 7 - len(taken)))
