"""`yiwen serve` runs the worker in its own process by default, and stops it on shutdown."""

from __future__ import annotations

import threading
import time

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories import login_headers, make_staff
from tests.notify.conftest import add_webhook, outbox_rows
from tests.notify.peers import HttpPeer
from yiwen.core.clock import Clock, FixedClock
from yiwen.core.db import Database
from yiwen.core.events import emit
from yiwen.core.settings import Settings
from yiwen.store.connectors.demo.connector import DemoStoreConnector
from yiwen.store.protocol import StoreConnector
from yiwen.web.app import create_app
from yiwen.worker.jobs import PeriodicJob


def test_the_app_delivers_the_outbox_while_it_runs_and_stops_its_worker_on_shutdown(
    settings: Settings, clock: FixedClock, database: Database, demo: DemoStoreConnector
) -> None:
    peer = HttpPeer()
    peer.start()
    try:
        embedded = settings.model_copy(
            update={
                "worker_embedded": True,
                "worker_poll_seconds": 0.05,
                "webhook_allow_private": True,
            }
        )
        database.context["settings"] = embedded
        add_webhook(database, clock, peer.url, secret=peer.secret, events=["ticket.reopened"])
        app = create_app(embedded, clock=clock, database=database, store=demo)
        with TestClient(app):
            with database.transaction() as db:
                emit(db, "ticket.reopened", ticket_id="t1")
            deadline = time.monotonic() + 10
            while not peer.applied and time.monotonic() < deadline:
                time.sleep(0.05)
            threads_during = _worker_threads()
        assert len(peer.applied) == 1
        assert threads_during == 1
        assert _worker_threads() == 0
        deadline = time.monotonic() + 5
        while outbox_rows(database)[0].status != "sent" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert outbox_rows(database)[0].status == "sent"
    finally:
        peer.stop()


def test_with_worker_embedded_off_the_app_sends_nothing(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    peer = HttpPeer()
    peer.start()
    try:
        add_webhook(database, clock, peer.url, secret=peer.secret, events=[])
        with database.transaction() as db:
            emit(db, "ticket.reopened", ticket_id="t1")
        time.sleep(0.3)
        [entry] = outbox_rows(database)
        assert (entry.status, entry.attempts) == ("pending", 0)
        assert peer.received == []
        assert _worker_threads() == 0
    finally:
        peer.stop()


def _worker_threads() -> int:
    return sum(1 for thread in threading.enumerate() if thread.name == "yiwen-worker")


def warn_about_a_deadline(db: Session, clock: Clock, store: StoreConnector) -> None:
    """Stands for the SLA sweep (yiwen.sla.jobs), which emits its warnings the same way."""
    emit(
        db,
        "sla.warning",
        ticket_id="t-warned",
        target="resolution",
        fraction=0.75,
        assignee_id="agent-1",
    )


def test_warnings_raised_by_a_periodic_job_reach_the_staff_socket_live(
    settings: Settings,
    clock: FixedClock,
    database: Database,
    demo: DemoStoreConnector,
) -> None:
    make_staff(database, clock, "supervisor", username="boss")
    embedded = settings.model_copy(update={"worker_embedded": True, "worker_poll_seconds": 0.05})
    app = create_app(embedded, clock=clock, database=database, store=demo)
    with TestClient(app) as client:
        token = login_headers(client, "boss")["Authorization"].split()[1]
        with client.websocket_connect(f"/api/v1/staff/ws?token={token}") as staff_ws:
            assert staff_ws.receive_json()["type"] == "ready"
            # Only now, so the warning cannot be raised before the socket listens.
            app.state.worker.jobs.append(PeriodicJob("tests:warn", 3600, warn_about_a_deadline))
            frames = [staff_ws.receive_json()]
            while frames[-1]["type"] != "sla.warning" and len(frames) < 50:
                frames.append(staff_ws.receive_json())
    warning = frames[-1]
    assert warning == {
        "type": "sla.warning",
        "ticket_id": "t-warned",
        "target": "resolution",
        "fraction": 0.75,
        "assignee_id": "agent-1",
    }
