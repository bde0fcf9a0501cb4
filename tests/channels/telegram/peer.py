"""The Telegram Bot API on loopback, answering as api.telegram.org does.

- ``POST /bot<token>/<method>`` with a JSON, urlencoded or multipart body.
  A wrong token is ``401 Unauthorized``, an unknown method ``404 Not Found``,
  a missing parameter ``400 Bad Request: … is empty``; errors are
  ``{"ok": false, "error_code", "description"[, "parameters"]}``. Scripted
  failures (429 with ``retry_after``, 403 "bot was blocked by the user")
  replace the next answer of a method.
- ``getFile`` answers the ``file_path`` of files registered with
  :meth:`TelegramPeer.add_file`, and ``GET /file/bot<token>/<file_path>``
  serves their bytes, as the Bot API's file download does.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from email import policy
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

from tests.support.live import free_port

REQUIRED = {
    "sendMessage": ("chat_id", "text"),
    "sendPhoto": ("chat_id", "photo"),
    "sendDocument": ("chat_id", "document"),
    "getFile": ("file_id",),
    "getMe": (),
    "setWebhook": ("url",),
}


@dataclass
class Upload:
    filename: str
    content_type: str
    data: bytes


@dataclass
class Call:
    method: str
    params: dict[str, str | object]
    uploads: dict[str, Upload] = field(default_factory=dict)


@dataclass
class TelegramPeer:
    token: str
    calls: list[Call] = field(default_factory=list)
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    downloads: list[str] = field(default_factory=list)
    scripted: dict[str, list[tuple[int, dict[str, object]]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.port = free_port()
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), _handler(self))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._next_message_id = 500

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
        self.files.clear()
        self.downloads.clear()
        self.scripted.clear()

    def add_file(self, file_id: str, file_path: str, data: bytes) -> None:
        self.files[file_id] = (file_path, data)

    def fail_next(self, method: str, code: int, description: str, **parameters: object) -> None:
        body: dict[str, object] = {"ok": False, "error_code": code, "description": description}
        if parameters:
            body["parameters"] = parameters
        self.scripted.setdefault(method, []).append((code, body))

    def answer(self, call: Call) -> tuple[int, dict[str, object]]:
        if self.scripted.get(call.method):
            return self.scripted[call.method].pop(0)
        for name in REQUIRED[call.method]:
            if name not in call.params and name not in call.uploads:
                return error(400, f"Bad Request: {name} is empty")
        if call.method == "getFile":
            found = self.files.get(str(call.params["file_id"]))
            if found is None:
                return error(400, "Bad Request: invalid file_id")
            path, data = found
            return 200, {
                "ok": True,
                "result": {
                    "file_id": call.params["file_id"],
                    "file_unique_id": "u" + str(call.params["file_id"])[-8:],
                    "file_size": len(data),
                    "file_path": path,
                },
            }
        if call.method == "getMe":
            return 200, {
                "ok": True,
                "result": {"id": 777, "is_bot": True, "first_name": "店铺客服"},
            }
        if call.method == "setWebhook":
            return 200, {"ok": True, "result": True, "description": "Webhook was set"}
        self._next_message_id += 1
        result: dict[str, object] = {
            "message_id": self._next_message_id,
            "from": {"id": 777, "is_bot": True, "first_name": "店铺客服"},
            "chat": {"id": int(str(call.params["chat_id"])), "type": "private"},
            "date": 1763776800,
        }
        if call.method == "sendMessage":
            result["text"] = call.params["text"]
        return 200, {"ok": True, "result": result}


def error(code: int, description: str) -> tuple[int, dict[str, object]]:
    return code, {"ok": False, "error_code": code, "description": description}


def _parse(content_type: str, body: bytes) -> tuple[dict[str, object], dict[str, Upload]]:
    if content_type.startswith("application/json"):
        loaded = json.loads(body) if body else {}
        return dict(loaded), {}
    if content_type.startswith("multipart/form-data"):
        document = BytesParser(policy=policy.default).parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode() + body
        )
        params: dict[str, object] = {}
        uploads: dict[str, Upload] = {}
        for part in document.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True) or b""
            if part.get_filename():
                uploads[str(name)] = Upload(
                    part.get_filename() or "", part.get_content_type(), payload
                )
            else:
                params[str(name)] = payload.decode()
        return params, uploads
    return dict(parse_qsl(body.decode())), {}


def _handler(peer: TelegramPeer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            return

        def do_GET(self) -> None:
            prefix = f"/file/bot{peer.token}/"
            if not self.path.startswith(prefix):
                self._json(*error(404, "Not Found"))
                return
            path = self.path.removeprefix(prefix)
            peer.downloads.append(path)
            for file_path, data in peer.files.values():
                if file_path == path:
                    self._reply(200, data, "application/octet-stream")
                    return
            self._json(*error(404, "Not Found"))

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            token, _, method = self.path.removeprefix("/bot").partition("/")
            if token != peer.token:
                self._json(*error(401, "Unauthorized"))
                return
            if method not in REQUIRED:
                self._json(*error(404, "Not Found"))
                return
            params, uploads = _parse(self.headers.get("content-type") or "", body)
            call = Call(method, params, uploads)
            peer.calls.append(call)
            self._json(*peer.answer(call))

        def _json(self, status: int, document: dict[str, object]) -> None:
            self._reply(
                status, json.dumps(document, ensure_ascii=False).encode(), "application/json"
            )

        def _reply(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("content-type", content_type)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler
