"""Local peers that speak the external protocols faithfully, on loopback.

- :class:`SmtpPeer`: a real SMTP server (aiosmtpd) keeping every mail it accepts.
- :class:`HttpPeer`: a real HTTP server standing for a webhook receiver or an SMS
  gateway: it verifies the HMAC signature like a receiver must, deduplicates by
  the id header it is told about, and answers with scripted status codes.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller

from tests.support.live import free_port
from yiwen.notify.signing import verify


class _Collector:
    def __init__(self) -> None:
        self.mails: list[tuple[str, list[str], EmailMessage]] = []
        self.raw: list[bytes] = []

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        content: bytes = envelope.content  # type: ignore[attr-defined]
        self.raw.append(content)
        mail = message_from_bytes(content, policy=policy.default)
        assert isinstance(mail, EmailMessage)
        self.mails.append(
            (envelope.mail_from, list(envelope.rcpt_tos), mail)  # type: ignore[attr-defined]
        )
        return "250 OK"


class SmtpPeer:
    def __init__(self) -> None:
        self.port = free_port()
        self._collector = _Collector()
        self._controller = Controller(self._collector, hostname="127.0.0.1", port=self.port)

    @property
    def mails(self) -> list[tuple[str, list[str], EmailMessage]]:
        return self._collector.mails

    @property
    def raw(self) -> list[bytes]:
        """The messages as they crossed the wire."""
        return self._collector.raw

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    signature_ok: bool

    def json(self) -> dict[str, object]:
        loaded: dict[str, object] = json.loads(self.body)
        return loaded


@dataclass
class HttpPeer:
    """``secret`` and the names of the signature headers decide what counts as authentic."""

    secret: str = "peer-secret-0123456789"
    id_header: str = "x-yiwen-event-id"
    timestamp_header: str = "x-yiwen-timestamp"
    signature_header: str = "x-yiwen-signature"
    delay: float = 0.0
    retry_after: str = ""
    statuses: list[int] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    # Every authentic POST answered 2xx, per id; and the ids applied (the first copy only).
    seen: Counter[str] = field(default_factory=Counter)
    applied: list[str] = field(default_factory=list)
    port: int = 0
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def reset(self) -> None:
        with self._lock:
            self.received.clear()
            self.seen.clear()
            self.applied.clear()
            self.statuses.clear()
            self.delay = 0.0
            self.retry_after = ""

    def _handle(self, handler: BaseHTTPRequestHandler) -> int:
        length = int(handler.headers.get("content-length", "0"))
        body = handler.rfile.read(length)
        headers = {key.lower(): value for key, value in handler.headers.items()}
        ok = verify(
            self.secret,
            headers.get(self.timestamp_header, ""),
            body,
            headers.get(self.signature_header, ""),
        )
        if self.delay:
            time.sleep(self.delay)
        with self._lock:
            self.received.append(Received(headers, body, ok))
            status = self.statuses.pop(0) if self.statuses else (200 if ok else 401)
            if ok and 200 <= status < 300:
                # A receiver deduplicating by id: a second copy is acknowledged, not applied.
                key = headers.get(self.id_header, "")
                if self.seen[key] == 0:
                    self.applied.append(key)
                self.seen[key] += 1
        return status

    def start(self) -> None:
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                status = peer._handle(self)
                self.send_response(status)
                if status >= 400 and peer.retry_after:
                    self.send_header("retry-after", peer.retry_after)
                if status == 302:
                    self.send_header("location", "http://127.0.0.1:1/elsewhere")
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *_: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


@contextmanager
def running(peer: HttpPeer | SmtpPeer) -> Iterator[HttpPeer | SmtpPeer]:
    peer.start()
    try:
        yield peer
    finally:
        peer.stop()
