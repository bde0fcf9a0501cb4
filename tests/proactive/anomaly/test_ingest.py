"""The minute job counts Yiwen's own tables and the shop's events into rows, idempotently."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from yiwen.auth.audit import Actor
from yiwen.core.clock import FixedClock
from yiwen.core.db import Database
from yiwen.customers.service import find_or_create_customer
from yiwen.proactive.anomaly.ingest import run_anomaly_minute
from yiwen.proactive.anomaly.models import AnomalyHourlyCount, AnomalyMinuteCount, AnomalySeries
from yiwen.proactive.anomaly.series import minute_of
from yiwen.store.connectors.demo.connector import DemoStoreConnector
from yiwen.tickets.service import NewTicket, open_ticket


def _counts(db, measure: str, dimension: str, value: str) -> dict[int, int]:  # type: ignore[no-untyped-def]
    series = db.scalar(
        select(AnomalySeries).where(
            AnomalySeries.measure == measure,
            AnomalySeries.dimension == dimension,
            AnomalySeries.value == value,
        )
    )
    if series is None:
        return {}
    rows = db.execute(
        select(AnomalyMinuteCount.minute, AnomalyMinuteCount.count).where(
            AnomalyMinuteCount.series_id == series.id
        )
    )
    return dict(rows.all())


def test_card_invalid_tickets_and_contacts_are_counted_once_per_minute_even_when_recounted(
    database: Database, clock: FixedClock, demo: DemoStoreConnector
) -> None:
    with database.transaction() as db:
        for index in range(3):
            customer = find_or_create_customer(
                db, clock, channel="phone", external_id=f"1390000000{index}"
            )
            open_ticket(
                db,
                clock,
                NewTicket(
                    customer_id=customer.id,
                    channel="web",
                    category="card_invalid",
                    subject="卡密无效",
                ),
                actor=Actor.system(),
                prefix="T",
            )
    created = minute_of(clock.now())
    for _ in range(3):  # three runs recount the same minutes: still three reports
        clock.advance(timedelta(minutes=1))
        with database.transaction() as db:
            run_anomaly_minute(db, clock, demo)
    with database.reading() as db:
        assert _counts(db, "card_invalid", "channel", "web") == {created: 3}
        assert _counts(db, "contacts", "category", "card_invalid") == {created: 3}
        assert _counts(db, "contacts", "all", "all") == {created: 3}
        hourly = db.scalar(select(func.sum(AnomalyHourlyCount.count)))
        assert hourly and hourly >= 9


def test_failed_pushes_of_the_demo_shop_are_counted_per_supplier_and_product(
    database: Database, clock: FixedClock, demo: DemoStoreConnector
) -> None:
    example = demo.example_orders()["push_failed"]
    order = demo.get_order(example.order_no)
    demo.shop.force_next_push_outcome(order.supplier or "", "failed")
    clock.advance(timedelta(minutes=1))
    demo.repush_upstream(order.order_no, idempotency_key="anomaly-test-1")
    clock.advance(timedelta(minutes=15))
    with database.transaction() as db:
        run_anomaly_minute(db, clock, demo)
    with database.reading() as db:
        # The series is keyed by the supplier's id and labelled with its name, for people.
        supplier_id = db.scalar(
            select(AnomalySeries.value).where(
                AnomalySeries.measure == "push_failed",
                AnomalySeries.dimension == "supplier",
                AnomalySeries.label == order.supplier,
            )
        )
        assert supplier_id is not None
        by_supplier = _counts(db, "push_failed", "supplier", supplier_id)
        by_product = _counts(db, "push_failed", "product", order.items[0].product_id)
        assert sum(by_supplier.values()) >= 1
        assert sum(by_product.values()) >= 1


def test_the_worker_runs_the_job_with_the_shop_fetched_outside_any_transaction(
    database: Database, clock: FixedClock, demo: DemoStoreConnector
) -> None:
    from yiwen.wiring import PERIODIC_JOBS
    from yiwen.worker.jobs import load_jobs

    (job,) = [j for j in load_jobs(PERIODIC_JOBS) if "anomaly" in j.name]
    assert job.own_transactions
    example = demo.example_orders()["push_failed"]
    order = demo.get_order(example.order_no)
    demo.shop.force_next_push_outcome(order.supplier or "", "failed")
    clock.advance(timedelta(minutes=1))
    demo.repush_upstream(order.order_no, idempotency_key="anomaly-test-2")
    clock.advance(timedelta(minutes=15))
    figures = job.run(database, clock, demo)
    assert isinstance(figures, dict) and figures["series"] > 0
    with database.reading() as db:
        failed = db.scalar(
            select(func.count())
            .select_from(AnomalySeries)
            .where(AnomalySeries.measure == "push_failed", AnomalySeries.dimension == "supplier")
        )
    assert failed == 1
