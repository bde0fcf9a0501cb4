"""Outbox deliveries per second through one in-process worker (SQLite), to loopback peers.

Two figures: signed webhook POSTs to a local HTTP receiver, and mails to a local
SMTP server (aiosmtpd). Each row is claimed, sent and marked sent in its own
transactions, as in production.
"""

from __future__ import annotations

import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from aiosmtpd.controller import Controller

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import free_port
from yiwen.core.clock import FixedClock
from yiwen.core.db import Database
from yiwen.core.settings import Settings
from yiwen.migrations import upgrade
from yiwen.notify.models import WebhookEndpoint
from yiwen.notify.outbox import enqueue
from yiwen.wiring import build_worker, install_reactions

ROWS = 1000
MAILS = 300


class _Ok(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", "0")))
        self.send_response(200)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *_: object) -> None:
        pass


class _Sink:
    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        return "250 OK"


def _deliver(settings: Settings, database: Database, clock: FixedClock, rows: int) -> float:
    worker = build_worker(database, settings, clock, jobs=())
    started = time.perf_counter()
    stats = worker.run_until_idle()
    elapsed = time.perf_counter() - started
    assert stats.sent == rows, stats
    return round(rows / elapsed, 1)


def run() -> dict[str, object]:
    install_reactions()
    clock = FixedClock(datetime(2026, 11, 22, 2, 0, tzinfo=UTC))
    receiver = ThreadingHTTPServer(("127.0.0.1", 0), _Ok)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    smtp_port = free_port()
    smtp = Controller(_Sink(), hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{Path(tmp) / 'yiwen.db'}"
            upgrade(url)
            settings = Settings(
                data_dir=Path(tmp),
                database_url=url,
                secret_key="bench",
                webhook_allow_private=True,
                smtp_host="127.0.0.1",
                smtp_port=smtp_port,
                worker_batch_size=50,
            )
            database = Database(url)
            database.context.update(clock=clock, settings=settings)
            with database.transaction() as db:
                endpoint = WebhookEndpoint(
                    url=f"http://127.0.0.1:{receiver.server_address[1]}/hook",
                    secret="bench-secret-0123456789",
                    events=[],
                    description="bench",
                    active=True,
                    created_at=clock.now(),
                    updated_at=clock.now(),
                )
                db.add(endpoint)
                db.flush()
                for number in range(ROWS):
                    enqueue(
                        db,
                        clock,
                        key=f"w{number}",
                        kind="webhook",
                        event="ticket.rated",
                        recipient=endpoint.id,
                        payload={"id": number, "score": 5},
                    )
            webhooks = _deliver(settings, database, clock, ROWS)
            with database.transaction() as db:
                for number in range(MAILS):
                    enqueue(
                        db,
                        clock,
                        key=f"m{number}",
                        kind="email",
                        event="ticket.resolved",
                        recipient="buyer@example.com",
                        payload={
                            "subject": "【一问】工单 YW1 已解决",
                            "body": "您的工单已处理完毕。",
                        },
                    )
            mails = _deliver(settings, database, clock, MAILS)
            database.dispose()
    finally:
        smtp.stop()
        receiver.shutdown()
    return {
        "webhook deliveries/s": webhooks,
        "email deliveries/s": mails,
        "rows": {"webhook": ROWS, "email": MAILS},
    }


if __name__ == "__main__":
    print(run())
