"""Done means (issue 8): a demo shop's 90 days of traffic with an injected supplier outage.

The 90 days are counts generated in bulk on a simulated clock (tests/proactive/outage.py).
They are judged two ways: the whole 90 days minute by minute through the
detector's offline replay (the same baseline fit, window verdict and
hysteresis the worker runs), for the false-alarm rate; and the last hour plus
the outage through the real pipeline: real orders in a real demo shop, read
through the connector's ``recent_events`` by the worker's minute job, counted
into the database, judged, and turned into an incident with its orders.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.proactive.outage import (
    LiveShop,
    history_series,
    local_day_start,
    simulate_history,
)
from yiwen.auth.audit import Actor
from yiwen.core.clock import SHANGHAI, FixedClock
from yiwen.core.db import Database
from yiwen.core.settings import Settings
from yiwen.proactive.announcements.models import Announcement, AnnouncementNotice
from yiwen.proactive.announcements.notices import run_announcement_work
from yiwen.proactive.announcements.service import (
    NewAnnouncement,
    publish_announcement,
    request_notices,
)
from yiwen.proactive.anomaly.detector import DetectorConfig
from yiwen.proactive.anomaly.evaluation import replay, score
from yiwen.proactive.anomaly.ingest import backfill_hourly, run_anomaly_minute
from yiwen.proactive.anomaly.series import SeriesKey, minute_of
from yiwen.proactive.anomaly.simulate import MINUTES_PER_DAY, InjectedIncident
from yiwen.proactive.incidents import service as incidents
from yiwen.proactive.incidents.models import Incident
from yiwen.store.connectors.demo.connector import DemoStoreConnector
from yiwen.store.connectors.demo.generator import seed_demo_shop
from yiwen.store.connectors.demo.models import ShopOrder

OUTAGE_AT = datetime(2026, 11, 22, 20, 0, tzinfo=SHANGHAI)
LIVE_FROM = OUTAGE_AT - timedelta(hours=1)
DAYS = 90
SUPPLIER = "fengniao"
OUTAGE_KEY = SeriesKey("push_failed", "supplier", SUPPLIER)
WEEKS = DAYS / 7


def _outage(first_minute: int) -> InjectedIncident:
    # Every push fails: the failures rise to the supplier's whole evening push rate.
    return InjectedIncident(start=minute_of(OUTAGE_AT), minutes=60, extra_per_minute=2.0)


def test_ninety_days_raise_at_most_one_false_alarm_a_week_and_catch_the_outage_in_ten_minutes() -> (
    None
):
    first_minute = local_day_start(OUTAGE_AT) - (DAYS - 1) * MINUTES_PER_DAY
    minutes = minute_of(OUTAGE_AT + timedelta(hours=2)) - first_minute
    outage = _outage(first_minute)
    history = simulate_history(first_minute, minutes, outage, OUTAGE_KEY, seed=5)
    config = DetectorConfig()
    false_alarms = 0
    for item in history.series:
        alarms = replay(history.counts[item.key], first_minute, item.key.measure, config)
        injected = [outage] if item.key == OUTAGE_KEY else []
        result = score(item.key.label(), alarms, injected, DAYS)
        false_alarms += result.false_alarms
        if item.key == OUTAGE_KEY:
            assert result.detected == 1
            assert result.delays[0] <= 10
    assert false_alarms <= WEEKS  # all 12 series together
    assert len(history.series) == 12


def test_the_outage_opens_one_incident_with_its_affected_orders_within_ten_minutes(
    database: Database, clock: FixedClock, settings: Settings, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    clock.set(LIVE_FROM - timedelta(days=DAYS))
    demo = DemoStoreConnector.open(f"sqlite:///{tmp_path / 'shop.db'}", clock)
    seed_demo_shop(demo, orders=0, now=clock.now())
    first_minute = local_day_start(OUTAGE_AT) - (DAYS - 1) * MINUTES_PER_DAY
    live_minute = minute_of(LIVE_FROM)
    history = simulate_history(
        first_minute, live_minute - first_minute, _outage(first_minute), OUTAGE_KEY, seed=5
    )
    clock.set(LIVE_FROM)
    with database.transaction() as db:
        for item in history_series():
            counts = history.counts[item.key].reshape(-1, 60).sum(axis=1)
            backfill_hourly(db, clock, item.key, first_minute // 60, counts, label=item.label)
    live = LiveShop(demo, clock, SUPPLIER)
    placed_during_outage: dict[str, datetime] = {}
    detected_at = None
    while clock.now() < OUTAGE_AT + timedelta(minutes=20):
        if clock.now() == OUTAGE_AT:
            demo.shop.set_supplier_behaviour(SUPPLIER, failure_rate=1.0)
        placed = live.place_orders(live.orders_per_minute())
        if clock.now() >= OUTAGE_AT:
            placed_during_outage.update(dict.fromkeys(placed, clock.now()))
        clock.advance(timedelta(minutes=1))
        with database.transaction() as db:
            run_anomaly_minute(db, clock, demo)
            if detected_at is None and db.scalar(select(Incident.id)) is not None:
                detected_at = clock.now()
    assert detected_at is not None
    assert detected_at - OUTAGE_AT <= timedelta(minutes=10)
    with database.reading() as db:
        opened = list(db.scalars(select(Incident)))
        assert [(i.measure, i.dimension, i.value) for i in opened] == [
            ("push_failed", "supplier", SUPPLIER)
        ]
        incident = opened[0]
        assert incident.label == "蜂鸟卡业"
        assert incident.started_at >= OUTAGE_AT - timedelta(minutes=5)
        assert incident.peak_observed > 3 * incident.peak_expected
        assert incident.baseline_per_hour < 10
        affected = {o.order_no for o in incidents.affected_orders(db, incident.id)}
        incident_id = incident.id
    with demo.shop.database.reading() as shop:
        failed_now = set(
            shop.scalars(
                select(ShopOrder.order_no).where(
                    ShopOrder.status == "delivery_failed",
                    ShopOrder.paid_at >= OUTAGE_AT - timedelta(minutes=5),
                )
            )
        )
    # Every order whose push failed around the outage is affected, and nothing else is;
    # that is every order of the outage but those whose push was still running at the end.
    assert failed_now and affected == failed_now
    answered = {
        o for o, at in placed_during_outage.items() if at <= clock.now() - timedelta(minutes=3)
    }
    assert answered <= affected
    announce_and_answer(database, clock, demo, settings, incident_id, affected)
    demo.close()


def announce_and_answer(
    database: Database,
    clock: FixedClock,
    demo: DemoStoreConnector,
    settings: Settings,
    incident_id: str,
    affected: set[str],
) -> None:
    """The supervisor announces the incident: one notice per customer, and the bot says it."""
    with database.transaction() as db:
        announcement = publish_announcement(
            db,
            clock,
            NewAnnouncement(
                title="蜂鸟卡业充值延迟",
                body="某供应商充值延迟，预计30分钟内恢复",
                scope="supplier",
                scope_value="蜂鸟卡业",
                incident_id=incident_id,
            ),
            actor=Actor.system(),
        )
        request_notices(db, clock, announcement, actor=Actor.system())
        request_notices(db, clock, announcement, actor=Actor.system())  # clicked twice
        announcement_id = announcement.id
    for _ in range(2):  # the job runs, and runs again after a restart
        with database.transaction() as db:
            run_announcement_work(db, clock, demo)
            db.get(Announcement, announcement_id).work_due = "notify"  # type: ignore[union-attr]
    with database.reading() as db:
        notices = list(
            db.scalars(
                select(AnnouncementNotice).where(
                    AnnouncementNotice.announcement_id == announcement_id
                )
            )
        )
        customers = [n.customer_id for n in notices]
        named = {order_no for n in notices for order_no in n.order_nos}
    # The incident's orders, and the supplier's other orders still waiting, are named...
    assert affected <= named
    # ...and each of their buyers is told exactly once.
    buyers = {demo.get_order(order_no).contact for order_no in named}
    assert len(customers) == len(set(customers)) == len(buyers)

    # A buyer of an affected order asks in the widget: the bot answers with the announcement.
    order_no = sorted(affected)[0]
    from yiwen.web.app import create_app

    with TestClient(create_app(settings, clock=clock, database=database, store=demo)) as client:
        started = client.post("/api/v1/customer/conversations", json={}).json()
        sent = client.post(
            f"/api/v1/customer/conversations/{started['conversation']['id']}/messages",
            json={"client_msg_id": "outage-1", "body": f"订单 {order_no} 充值还没到账"},
            headers={"X-Conversation-Token": started["token"]},
        )
        assert sent.status_code == 201, sent.text
        thread = client.get(
            f"/api/v1/customer/conversations/{started['conversation']['id']}/messages",
            headers={"X-Conversation-Token": started["token"]},
        ).json()["items"]
    said = [m["body"] for m in thread if m["sender_type"] == "bot"]
    assert any("预计30分钟内恢复" in body for body in said), said
