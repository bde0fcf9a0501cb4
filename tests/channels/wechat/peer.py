"""Local peers that speak WeChat's protocols, for the adapter's tests.

:class:`WechatServer` plays the WeChat platform pushing to Yiwen: it builds the
XML WeChat sends, signs it (``signature`` = sha1 of the sorted token, timestamp
and nonce) and, in safe mode, encrypts it with wechatpy's own ``WeChatCrypto``
and puts ``msg_signature`` in the query and ``<Encrypt>`` in the body, exactly
as WeChat does.

:class:`ApiPeer` is a real HTTP server on 127.0.0.1 playing Tencent's JSON
APIs (WeChat's ``cgi-bin/token`` / ``message/custom/send`` / ``media/get``, and
WeCom's, see ``tests.channels.wecom.peer``): it issues tokens, refuses unknown
or expired ones with the real errcodes (40001, 42001), records every request
and can be told to answer the next calls with chosen errcodes.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email import policy
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import xmltodict
from fastapi.testclient import TestClient
from httpx import Response
from wechatpy.crypto import WeChatCrypto
from wechatpy.utils import WeChatSigner

APP_ID = "wx0123456789abcdef"
APP_SECRET = "app-secret-0123456789abcdef012345"
TOKEN = "yiwen-wechat-token"
# 43 characters, as the WeChat console generates them.
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
OA_ID = "gh_0123456789ab"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"


def sign(*parts: str) -> str:
    signer = WeChatSigner()
    signer.add_data(*parts)
    return str(signer.signature)


@dataclass
class WechatServer:
    """The WeChat platform's side of a push to Yiwen."""

    token: str = TOKEN
    aes_key: str = AES_KEY
    app_id: str = APP_ID
    timestamp: str = "1795312800"
    counter: int = 0

    def nonce(self) -> str:
        self.counter += 1
        return f"{1000000 + self.counter}"

    def text(self, openid: str, content: str, msg_id: str, created: int = 1795312800) -> str:
        return self.xml(openid, created, MsgType="text", Content=content, MsgId=msg_id)

    def xml(self, openid: str, created: int, **fields: str) -> str:
        elements = "".join(f"<{k}><![CDATA[{v}]]></{k}>" for k, v in fields.items())
        return (
            f"<xml><ToUserName><![CDATA[{OA_ID}]]></ToUserName>"
            f"<FromUserName><![CDATA[{openid}]]></FromUserName>"
            f"<CreateTime>{created}</CreateTime>{elements}</xml>"
        )

    def verify(
        self, client: TestClient, account_id: str, echostr: str, *, forged: bool = False
    ) -> Response:
        nonce = self.nonce()
        signature = sign(self.token, self.timestamp, nonce)
        if forged:
            signature = signature[:-4] + "0000"
        query = {
            "signature": signature,
            "timestamp": self.timestamp,
            "nonce": nonce,
            "echostr": echostr,
        }
        return client.get(f"/channels/wechat/{account_id}", params=query)

    def push(
        self,
        client: TestClient,
        account_id: str,
        xml: str,
        *,
        safe: bool = False,
        forge: str = "",
        nonce: str | None = None,
    ) -> Response:
        """POST as WeChat does; ``forge`` spoils "signature" or "msg_signature"."""
        nonce = nonce or self.nonce()
        query = {
            "signature": sign(self.token, self.timestamp, nonce),
            "timestamp": self.timestamp,
            "nonce": nonce,
            "openid": xmltodict.parse(xml)["xml"]["FromUserName"],
        }
        body = xml
        if safe:
            crypto = WeChatCrypto(self.token, self.aes_key, self.app_id)
            envelope = xmltodict.parse(crypto.encrypt_message(xml, nonce, self.timestamp))["xml"]
            query["encrypt_type"] = "aes"
            query["msg_signature"] = envelope["MsgSignature"]
            body = (
                f"<xml><ToUserName><![CDATA[{OA_ID}]]></ToUserName>"
                f"<Encrypt><![CDATA[{envelope['Encrypt']}]]></Encrypt></xml>"
            )
        if forge:
            query[forge] = "0" * 40
        return client.post(
            f"/channels/wechat/{account_id}",
            params=query,
            content=body.encode(),
            headers={"content-type": "text/xml"},
        )

    def read_reply(self, response: Response, *, safe: bool = False) -> dict[str, str]:
        """The passive reply as WeChat reads it (decrypting and checking it in safe mode)."""
        assert response.status_code == 200, response.text
        if not safe:
            return dict(xmltodict.parse(response.text)["xml"])
        envelope = xmltodict.parse(response.text)["xml"]
        crypto = WeChatCrypto(self.token, self.aes_key, self.app_id)
        plain = crypto.decrypt_message(
            {"Encrypt": envelope["Encrypt"]},
            envelope["MsgSignature"],
            envelope["TimeStamp"],
            envelope["Nonce"],
        )
        return dict(xmltodict.parse(plain)["xml"])


@dataclass
class Call:
    method: str
    path: str
    query: dict[str, str]
    body: Any


Handler = Callable[["ApiPeer", Call], tuple[int, dict[str, str], bytes]]


@dataclass
class ApiPeer:
    """Tencent's API on loopback. ``routes`` map "METHOD /path" to a handler."""

    routes: dict[str, Handler] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    issued: dict[str, float] = field(default_factory=dict)  # token -> expiry (monotonic)
    scripted: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    token_count: int = 0
    media_count: int = 0
    uploaded: dict[str, Upload] = field(default_factory=dict)  # media_id -> the file
    server: ThreadingHTTPServer | None = None

    @property
    def base(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> ApiPeer:
        peer = self

        class _Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self._serve("GET")

            def do_POST(self) -> None:
                self._serve("POST")

            def _serve(self, method: str) -> None:
                parts = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = read_body(self.headers.get("content-type", ""), raw)
                call = Call(method, parts.path, query, body)
                status, headers, content = peer.handle(call)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            def log_message(self, format: str, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def handle(self, call: Call) -> tuple[int, dict[str, str], bytes]:
        self.calls.append(call)
        handler = self.routes.get(f"{call.method} {call.path}")
        if handler is None:
            return 404, {"content-type": "text/plain"}, b"not found"
        return handler(self, call)

    # Helpers the handlers share.

    def issue_token(self, lifetime: int = 7200) -> dict[str, Any]:
        self.token_count += 1
        token = f"ACCESS_TOKEN_{self.token_count}"
        self.issued[token] = time.monotonic() + lifetime
        return {"access_token": token, "expires_in": lifetime}

    def token_error(self, call: Call) -> dict[str, Any] | None:
        """The real answer to a missing, unknown (40001) or expired (42001) access token."""
        token = call.query.get("access_token", "")
        if token not in self.issued:
            return {"errcode": 40001, "errmsg": "invalid credential, access_token is invalid"}
        if self.issued[token] <= time.monotonic():
            return {"errcode": 42001, "errmsg": "access_token expired"}
        return None

    def expire_tokens(self) -> None:
        for token in self.issued:
            self.issued[token] = 0.0

    def script(self, path: str, *answers: dict[str, Any]) -> None:
        """Answer the next calls to ``path`` with these bodies (after the token check)."""
        self.scripted.setdefault(path, []).extend(answers)

    def next_scripted(self, path: str) -> dict[str, Any] | None:
        queue = self.scripted.get(path)
        return queue.pop(0) if queue else None

    def paths(self) -> list[str]:
        return [call.path for call in self.calls]


@dataclass(frozen=True)
class Upload:
    """One file part of a multipart/form-data request."""

    field: str
    filename: str
    content_type: str
    data: bytes


def read_body(content_type: str, raw: bytes) -> Any:
    """JSON, or the parts of a multipart upload (a list of :class:`Upload`), as sent."""
    if not raw:
        return None
    if content_type.startswith("multipart/form-data"):
        message = BytesParser(policy=policy.HTTP).parsebytes(
            f"content-type: {content_type}\r\n\r\n".encode() + raw
        )
        return [
            Upload(
                str(part.get_param("name", header="content-disposition") or ""),
                part.get_filename() or "",
                part.get_content_type(),
                part.get_payload(decode=True) or b"",
            )
            for part in message.iter_parts()
        ]
    return json.loads(raw)


def sniff(data: bytes) -> str:
    """The file's real type, from its bytes, as Tencent's servers check it."""
    for magic, kind in (
        (b"\xff\xd8\xff", "jpg"),
        (b"\x89PNG\r\n\x1a\n", "png"),
        (b"GIF8", "gif"),
        (b"#!AMR", "amr"),
        (b"%PDF-", "pdf"),
    ):
        if data.startswith(magic):
            return kind
    return "other"


def media_upload(
    limits: dict[str, int], formats: dict[str, set[str]]
) -> Callable[[ApiPeer, Call], tuple[int, dict[str, str], bytes]]:
    """``cgi-bin/media/upload``: the token, the ``type``, a ``media`` part, its real format and
    size checked with the errcodes Tencent answers (40004 type, 40005 format, 40006 size,
    41005 no file); the stored bytes are served back by ``media/get``."""

    def upload(peer: ApiPeer, call: Call) -> tuple[int, dict[str, str], bytes]:
        error = peer.token_error(call) or peer.next_scripted(call.path)
        if error is not None:
            return json_answer(error)
        media_type = call.query.get("type", "")
        if media_type not in limits:
            return json_answer({"errcode": 40004, "errmsg": "invalid media type"})
        parts = [p for p in (call.body or []) if isinstance(p, Upload) and p.field == "media"]
        if not parts or not parts[0].data:
            return json_answer({"errcode": 41005, "errmsg": "media data missing"})
        data = parts[0].data
        allowed = formats.get(media_type)
        if allowed is not None and sniff(data) not in allowed:
            return json_answer({"errcode": 40005, "errmsg": "invalid file type"})
        if len(data) > limits[media_type] or len(data) <= 5:
            return json_answer({"errcode": 40006, "errmsg": "invalid meida size"})
        peer.media_count += 1
        media_id = f"MEDIA_UP_{peer.media_count}"
        peer.uploaded[media_id] = parts[0]
        return json_answer(
            {"errcode": 0, "type": media_type, "media_id": media_id, "created_at": 1795312800}
        )

    return upload


def json_answer(body: dict[str, Any], status: int = 200) -> tuple[int, dict[str, str], bytes]:
    return status, {"content-type": "application/json; encoding=utf-8"}, json.dumps(body).encode()


def wechat_api_peer() -> ApiPeer:
    """WeChat OA's API: token, customer-service send (image messages need a media_id it
    issued), temporary media (upload and get), and a picture host."""
    media: dict[str, bytes] = {"MEDIA_1": JPEG}

    def token(peer: ApiPeer, call: Call) -> tuple[int, dict[str, str], bytes]:
        if call.query.get("appid") != APP_ID:
            return json_answer({"errcode": 40013, "errmsg": "invalid appid"})
        if call.query.get("secret") != APP_SECRET:
            return json_answer({"errcode": 40125, "errmsg": "invalid appsecret"})
        return json_answer(peer.issue_token())

    def custom_send(peer: ApiPeer, call: Call) -> tuple[int, dict[str, str], bytes]:
        error = peer.token_error(call)
        if error is not None:
            return json_answer(error)
        scripted = peer.next_scripted(call.path)
        if scripted is not None:
            return json_answer(scripted)
        image = call.body.get("image") if call.body.get("msgtype") == "image" else None
        if image is not None and image.get("media_id") not in peer.uploaded:
            return json_answer({"errcode": 40007, "errmsg": "invalid media_id"})
        return json_answer({"errcode": 0, "errmsg": "ok"})

    def media_get(peer: ApiPeer, call: Call) -> tuple[int, dict[str, str], bytes]:
        error = peer.token_error(call)
        if error is not None:
            return json_answer(error)
        data = media.get(call.query.get("media_id", ""))
        if data is None:
            return json_answer({"errcode": 40007, "errmsg": "invalid media_id"})
        return 200, {"content-type": "image/jpeg"}, data

    def picture(peer: ApiPeer, call: Call) -> tuple[int, dict[str, str], bytes]:
        return 200, {"content-type": "image/jpeg"}, JPEG

    return ApiPeer(
        routes={
            "GET /cgi-bin/token": token,
            "POST /cgi-bin/message/custom/send": custom_send,
            "GET /cgi-bin/media/get": media_get,
            "POST /cgi-bin/media/upload": media_upload(
                {"image": 10 * 1024 * 1024, "voice": 2 * 1024 * 1024, "thumb": 64 * 1024},
                {"image": {"jpg", "png", "gif"}, "voice": {"amr", "mp3"}, "thumb": {"jpg"}},
            ),
            "GET /mmbiz_jpg/picture": picture,
        }
    )
