"""A OneBot v11 implementation's HTTP side on loopback, as NapCat / Lagrange / LLOneBot serve it.

- The HTTP API (``POST /<action>`` with a JSON body): the access token is
  checked as the v11 standard says (missing -> 401, wrong -> 403), an unknown
  action is 404, a body that is not JSON is 400, a call with missing
  parameters answers ``status: failed`` with ``retcode`` 1400, a good call
  ``{"status": "ok", "retcode": 0, "data": {"message_id": …}}``. Failures can be
  scripted per action.
- Image URLs (``GET /images/<name>``), standing for QQ's image CDN.
- :func:`sign` signs an event body as the implementation does with its
  ``secret``: ``X-Signature: sha1=<hex HMAC-SHA1 of the raw body>``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.support.live import free_port

ACTIONS = {
    "send_private_msg": ("user_id", "message"),
    "send_group_msg": ("group_id", "message"),
    "send_msg": ("message",),
    "get_login_info": (),
}


def sign(secret: str, body: bytes) -> str:
    return "sha1=" + hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()


@dataclass
class Call:
    action: str
    authorization: str | None
    params: dict[str, object]


@dataclass
class OneBotPeer:
    access_token: str
    self_id: int = 3000000001
    calls: list[Call] = field(default_factory=list)
    images: dict[str, bytes] = field(default_factory=dict)
    image_requests: list[str] = field(default_factory=list)
    scripted: dict[str, list[tuple[int, dict[str, object]]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.port = free_port()
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), _handler(self))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._next_message_id = 1000

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def reset(self) -> None:
        self.calls.clear()
        self.images.clear()
        self.image_requests.clear()
        self.scripted.clear()

    def fail_next(self, action: str, status: int, body: dict[str, object]) -> None:
        self.scripted.setdefault(action, []).append((status, body))

    def answer(self, action: str, params: dict[str, object]) -> tuple[int, dict[str, object]]:
        if self.scripted.get(action):
            return self.scripted[action].pop(0)
        missing = [name for name in ACTIONS[action] if name not in params]
        if missing:
            return 200, failed(1400, f"missing {','.join(missing)}")
        if action == "get_login_info":
            return 200, ok({"user_id": self.self_id, "nickname": "店铺客服"})
        self._next_message_id += 1
        return 200, ok({"message_id": self._next_message_id})


def ok(data: object) -> dict[str, object]:
    return {"status": "ok", "retcode": 0, "data": data, "message": "", "wording": ""}


def failed(retcode: int, wording: str) -> dict[str, object]:
    return {
        "status": "failed",
        "retcode": retcode,
        "data": None,
        "message": wording,
        "wording": wording,
    }


def _handler(peer: OneBotPeer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            return

        def do_GET(self) -> None:
            name = self.path.removeprefix("/images/")
            peer.image_requests.append(name)
            data = peer.images.get(name) if self.path.startswith("/images/") else None
            if data is None:
                self._reply(404, b"not found", "text/plain")
                return
            self._reply(200, data, "image/png")

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            action = self.path.strip("/").split("?", 1)[0]
            authorization = self.headers.get("authorization")
            if authorization is None:
                self._json(401, {"status": "failed", "retcode": 1401})
                return
            if authorization != f"Bearer {peer.access_token}":
                self._json(403, {"status": "failed", "retcode": 1403})
                return
            if action not in ACTIONS:
                self._json(404, {"status": "failed", "retcode": 1404})
                return
            if "application/json" not in (self.headers.get("content-type") or ""):
                self._json(406, {"status": "failed", "retcode": 1406})
                return
            try:
                params = json.loads(body)
            except ValueError:
                self._json(400, {"status": "failed", "retcode": 1400})
                return
            peer.calls.append(Call(action, authorization, params))
            self._json(*peer.answer(action, params))

        def _json(self, status: int, document: dict[str, object]) -> None:
            self._reply(status, json.dumps(document).encode(), "application/json")

        def _reply(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("content-type", content_type)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler
