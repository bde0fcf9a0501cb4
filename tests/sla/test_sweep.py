"""The SLA sweep: warnings once per fraction, a breach recorded and escalated once, and
exactly one compensation, paid through the shop even after an outage."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select
from tests.sla.conftest import Desk, coupons_issued

from yiwen.auth.audit import AuditEntry
from yiwen.core.events import DomainEvent, bus
from yiwen.sla import jobs
from yiwen.sla.models import SlaBreach, SlaCompensation
from yiwen.tickets.models import TicketEvent
from yiwen.tickets.views import public_view

MIN = timedelta(minutes=1)


@pytest.fixture
def events() -> Iterator[list[DomainEvent]]:
    """The SLA events released after commit, as notify receives them."""
    seen: list[DomainEvent] = []

    def listen(event: DomainEvent) -> None:
        if event.name.startswith("sla."):
            seen.append(event)

    bus.subscribe("*", listen)
    yield seen
    bus.unsubscribe("*", listen)


def names(events: list[DomainEvent]) -> list[str]:
    return [event.name for event in events]


def test_warnings_fire_once_per_fraction_and_target(desk: Desk, events: list[DomainEvent]) -> None:
    ticket_id = desk.open("order_status", assignee=desk.team.l1)
    desk.clock.advance(22 * MIN + 30 * timedelta(seconds=1))  # 75 % of 30 min
    desk.sweep()
    desk.sweep()
    warnings = [e.payload for e in events if e.name == "sla.warning"]
    assert [(w["target"], w["fraction"]) for w in warnings] == [("first_response", 0.75)]
    assert warnings[0]["assignee_id"] == desk.team.l1.id
    assert warnings[0]["ticket_id"] == ticket_id
    desk.clock.advance(5 * MIN)  # 92 %
    desk.sweep()
    desk.sweep()
    fractions = [e.payload["fraction"] for e in events if e.name == "sla.warning"]
    assert fractions == [0.75, 0.9]
    assert "sla.breached" not in names(events)


def test_a_late_sweep_fires_every_passed_fraction_once(
    desk: Desk, events: list[DomainEvent]
) -> None:
    desk.open("order_status")
    desk.clock.advance(28 * MIN)
    desk.sweep()
    assert [e.payload["fraction"] for e in events] == [0.75, 0.9]


def test_nothing_due_means_the_sweep_touches_nothing(desk: Desk) -> None:
    for _ in range(3):
        desk.open("order_status")
    desk.clock.advance(MIN)
    assert desk.sweep().checked == 0


def test_a_breach_is_recorded_and_escalates_once(desk: Desk, events: list[DomainEvent]) -> None:
    ticket_id = desk.open("order_status", assignee=desk.team.l1)
    desk.clock.advance(31 * MIN)
    desk.sweep()
    desk.sweep()
    ticket = desk.ticket(ticket_id)
    assert ticket.priority == "high"  # normal → high, one step
    assert ticket.tier == "L2"
    assert desk.count(SlaBreach, ticket_id=ticket_id) == 1
    assert names(events).count("sla.escalated") == 1
    assert names(events).count("sla.breached") == 1
    assert desk.count(AuditEntry, action="sla.escalate", target_id=ticket_id) == 1
    with desk.database.reading() as db:
        kinds = db.scalars(select(TicketEvent.kind).where(TicketEvent.ticket_id == ticket_id))
        assert "sla_escalated" in list(kinds)
    # A second breach (resolution) is recorded but does not escalate again.
    desk.clock.advance(timedelta(hours=24))
    desk.sweep()
    assert desk.count(SlaBreach, ticket_id=ticket_id) == 2
    assert names(events).count("sla.escalated") == 1
    assert desk.ticket(ticket_id).priority == "high"


def test_escalating_an_l2_ticket_hands_it_to_the_supervisor(desk: Desk) -> None:
    ticket_id = desk.open("order_status", assignee=desk.team.l2)
    with desk.database.transaction() as db:
        from yiwen.tickets.models import Ticket

        ticket = db.get(Ticket, ticket_id)
        assert ticket is not None
        ticket.tier = "L2"
    desk.clock.advance(31 * MIN)
    desk.sweep()
    assert desk.ticket(ticket_id).assignee_id == desk.team.supervisor.id


def test_a_missed_resolution_pays_the_policy_coupon_once_and_tells_the_customer(
    desk: Desk, events: list[DomainEvent]
) -> None:
    ticket_id = desk.open("card_invalid")
    desk.agent_reply(ticket_id)
    desk.clock.advance(61 * MIN)
    desk.sweep()
    desk.sweep()
    assert coupons_issued(desk.store._shop) == [Decimal("5.00")]
    assert desk.count(SlaCompensation, ticket_id=ticket_id, status="issued") == 1
    assert desk.count(AuditEntry, action="sla.compensate", target_id=ticket_id) == 1
    assert names(events).count("sla.compensated") == 1
    with desk.database.reading() as db:
        from yiwen.tickets import service as tickets

        view = public_view(db, tickets.get_ticket(db, ticket_id), "zh-CN")
    texts = [entry["text"] for entry in view["timeline"]]  # type: ignore[union-attr,index]
    assert "因处理超时，已向您发放 5 元优惠券" in texts


def test_no_compensation_when_the_policy_promises_none(desk: Desk) -> None:
    ticket_id = desk.open("order_status")
    desk.clock.advance(timedelta(hours=25))
    desk.sweep()
    assert desk.count(SlaBreach, ticket_id=ticket_id) == 2
    assert desk.count(SlaCompensation) == 0
    assert coupons_issued(desk.store._shop) == []


def test_compensation_waits_out_a_shop_outage_and_is_paid_on_a_later_sweep(desk: Desk) -> None:
    ticket_id = desk.open("delivery_missing")
    desk.clock.advance(61 * MIN)
    desk.store.down = True
    desk.sweep()
    assert desk.count(SlaCompensation, ticket_id=ticket_id, status="pending") == 1
    assert coupons_issued(desk.store._shop) == []
    desk.sweep()
    desk.store.down = False
    desk.clock.advance(MIN)
    result = desk.sweep()
    assert result.compensated == 1
    assert coupons_issued(desk.store._shop) == [Decimal("5.00")]
    with desk.database.reading() as db:
        debt = db.scalar(select(SlaCompensation).where(SlaCompensation.ticket_id == ticket_id))
        assert debt is not None and debt.attempts == 3 and debt.status == "issued"
    desk.sweep()
    assert coupons_issued(desk.store._shop) == [Decimal("5.00")]


def test_concurrent_sweeps_pay_exactly_one_compensation(desk: Desk) -> None:
    ticket_ids = [desk.open("card_invalid", contact=f"1390000000{n}") for n in range(4)]
    desk.clock.advance(61 * MIN)
    errors: list[BaseException] = []
    barrier = threading.Barrier(3)

    def sweep() -> None:
        try:
            barrier.wait()
            desk.sweep()
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=sweep) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    for n, ticket_id in enumerate(ticket_ids):
        assert coupons_issued(desk.store._shop, f"1390000000{n}") == [Decimal("5.00")]
        assert desk.count(SlaBreach, ticket_id=ticket_id, target="resolution") == 1
    assert desk.count(SlaCompensation, status="issued") == 4


def test_a_lost_commit_after_the_shop_issued_the_coupon_never_pays_twice(desk: Desk) -> None:
    ticket_id = desk.open("card_invalid")
    desk.clock.advance(61 * MIN)
    with pytest.raises(RuntimeError), desk.database.transaction() as db:
        jobs.sweep_sla(db, desk.clock, desk.store)  # type: ignore[arg-type]
        raise RuntimeError("worker killed before commit")
    assert desk.count(SlaCompensation) == 0
    assert coupons_issued(desk.store._shop) == [Decimal("5.00")]
    desk.sweep()
    assert coupons_issued(desk.store._shop) == [Decimal("5.00")]
    assert desk.count(SlaCompensation, ticket_id=ticket_id, status="issued") == 1
