"""SLA clocks: started from the policies with the ticket, paused while the ticket waits on
the customer, resumed with the paused time added, met by replies and resolution, and
recomputed when the priority or category changes."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import select
from tests.sla.conftest import Desk

from yiwen.auth.audit import Actor
from yiwen.core.clock import SHANGHAI
from yiwen.sla.models import SlaCalendar, SlaPolicy
from yiwen.tickets import service as tickets

MIN = timedelta(minutes=1)


def test_a_new_ticket_gets_the_seed_defaults_as_its_promise(desk: Desk) -> None:
    now = desk.clock.now()
    ordinary = desk.ticket(desk.open("order_status"))
    assert ordinary.first_response_due_at == now + 30 * MIN
    assert ordinary.due_at == now + timedelta(hours=24)
    card = desk.ticket(desk.open("card_invalid"))
    assert card.due_at == now + timedelta(hours=1)
    refund = desk.ticket(desk.open("refund_request"))
    assert refund.due_at == now + timedelta(hours=24)


def test_urgent_card_key_ticket_combines_urgent_first_response_and_card_key_resolution(
    desk: Desk,
) -> None:
    now = desk.clock.now()
    ticket_id = desk.open("card_invalid", urgent=True)
    ticket = desk.ticket(ticket_id)
    assert ticket.first_response_due_at == now + 10 * MIN
    assert ticket.due_at == now + timedelta(hours=1)
    clock = desk.clock_of(ticket_id)
    assert clock.policy_id == "slapol00000000000000cardinvalid"
    assert clock.earliest_due_at == now + 10 * MIN


def test_vip_customers_get_the_vip_first_response(desk: Desk) -> None:
    ticket = desk.ticket(desk.open(vip=True))
    assert ticket.first_response_due_at == desk.clock.now() + 15 * MIN


def test_customer_tracking_shows_the_policy_promise(desk: Desk) -> None:
    from yiwen.tickets.views import public_view

    ticket_id = desk.open("card_invalid")
    with desk.database.reading() as db:
        view = public_view(db, tickets.get_ticket(db, ticket_id), "zh-CN")
    assert view["promised_at"] == "2026-11-22T11:00+08:00"
    assert view["first_response_due_at"] == "2026-11-22T10:30+08:00"


def test_waiting_on_the_customer_pauses_and_resuming_adds_the_paused_time(desk: Desk) -> None:
    start = desk.clock.now()
    ticket_id = desk.open("card_invalid", assignee=desk.team.l1)
    desk.agent_reply(ticket_id)
    desk.clock.advance(20 * MIN)
    desk.status(ticket_id, "pending_customer")
    paused = desk.clock_of(ticket_id)
    assert paused.paused_since == desk.clock.now()
    assert paused.next_check_at is None
    desk.clock.advance(timedelta(hours=5))
    desk.status(ticket_id, "open")
    resumed = desk.clock_of(ticket_id)
    assert resumed.paused_since is None
    assert resumed.paused_seconds == 5 * 3600
    assert resumed.resolution_due_at == start + timedelta(hours=6)
    assert desk.ticket(ticket_id).due_at == start + timedelta(hours=6)


def test_paused_ticket_is_never_breached_by_the_sweep(desk: Desk) -> None:
    ticket_id = desk.open("card_invalid")
    desk.status(ticket_id, "pending_customer")
    desk.clock.advance(timedelta(days=3))
    assert desk.sweep().checked == 0
    assert desk.clock_of(ticket_id).breached == []


def test_the_agents_first_public_reply_meets_the_first_response_target(desk: Desk) -> None:
    ticket_id = desk.open()
    desk.clock.advance(5 * MIN)
    desk.agent_reply(ticket_id)
    clock = desk.clock_of(ticket_id)
    assert clock.first_response_due_at is None
    assert clock.resolution_due_at is not None


def test_a_customer_message_after_the_first_response_starts_the_next_response_clock(
    desk: Desk,
) -> None:
    ticket_id = desk.open()
    desk.agent_reply(ticket_id)
    desk.clock.advance(10 * MIN)
    desk.customer_message(ticket_id)
    assert desk.clock_of(ticket_id).next_response_due_at == desk.clock.now() + 2 * 60 * MIN
    desk.clock.advance(10 * MIN)
    desk.agent_reply(ticket_id)
    assert desk.clock_of(ticket_id).next_response_due_at is None


def test_raising_the_priority_recomputes_with_the_time_already_used(desk: Desk) -> None:
    start = desk.clock.now()
    ticket_id = desk.open("order_status")
    desk.clock.advance(4 * MIN)
    desk.act(ticket_id, tickets.update_fields, actor=Actor.staff(desk.team.l2), priority="urgent")
    assert desk.ticket(ticket_id).first_response_due_at == start + 10 * MIN
    # A category with its own resolution target takes over the resolution promise.
    desk.act(
        ticket_id, tickets.update_fields, actor=Actor.staff(desk.team.l2), category="card_invalid"
    )
    assert desk.ticket(ticket_id).due_at == start + timedelta(hours=1)


def test_a_working_hours_policy_skips_nights_and_holidays(desk: Desk) -> None:
    with desk.database.transaction() as db:
        calendar = db.scalar(select(SlaCalendar).where(SlaCalendar.kind == "working_hours"))
        assert calendar is not None
        assert (calendar.opens_at, calendar.closes_at) == ("09:00", "21:00")
        policy = db.get(SlaPolicy, "slapol0000000000000000000default")
        assert policy is not None
        policy.calendar_id = calendar.id
    # Wednesday 30 September 2026, 20:45: a quarter of an hour before the National Day holiday.
    desk.clock.set(datetime(2026, 9, 30, 20, 45, tzinfo=SHANGHAI))
    ticket = desk.ticket(desk.open("order_status"))
    due = ticket.first_response_due_at
    assert due is not None
    assert due.astimezone(SHANGHAI).date().isoformat() == "2026-10-08"
    assert due.astimezone(SHANGHAI).time() == time(9, 15)


def test_resolving_stops_every_clock_and_reopening_restarts_the_resolution(desk: Desk) -> None:
    ticket_id = desk.open("card_invalid")
    desk.resolve(ticket_id)
    resolved = desk.clock_of(ticket_id)
    assert resolved.next_check_at is None and resolved.earliest_due_at is None
    desk.clock.advance(timedelta(hours=3))
    desk.act(ticket_id, tickets.reopen_ticket, actor=Actor.staff(desk.team.l1))
    assert desk.clock_of(ticket_id).resolution_due_at == desk.clock.now() + timedelta(hours=1)
