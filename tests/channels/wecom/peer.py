"""Local peers that speak WeCom customer service's protocols.

:class:`WecomServer` plays WeCom calling Yiwen back: the URL check's
``echostr`` and every callback are encrypted and signed with wechatpy's
enterprise ``WeChatCrypto`` exactly as WeCom does (``msg_signature`` over
token, timestamp, nonce and ciphertext; the corp id inside the plaintext).

:func:`wecom_api_peer` is a real HTTP server on 127.0.0.1 playing
qyapi.weixin.qq.com: ``gettoken``, ``kf/sync_msg`` (messages paged by an opaque
cursor, ``has_more``/``next_cursor`` as WeCom returns them), ``kf/send_msg``
(deduplicating by ``msgid`` like WeCom; image/file messages need a media id it
issued), ``kf/service_state/get|trans`` (WeCom's transition rules and errcodes:
95013 ended, 95014 not a servicer, 95016 transition not allowed), and temporary
media: ``media/upload`` (type, real format and size checked) and ``media/get``
(the customers' files, errcode 40007 for an unknown id).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import xmltodict
from fastapi.testclient import TestClient
from httpx import Response
from wechatpy.crypto import _get_signature
from wechatpy.enterprise.crypto import PrpCrypto, WeChatCrypto

from tests.channels.wechat.peer import ApiPeer, Call, json_answer, media_upload

CORP_ID = "ww0123456789abcdef"
SECRET = "kf-secret-0123456789abcdef0123456789abcd"
TOKEN = "yiwen-wecom-token"
AES_KEY = "ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxwvut"
OPEN_KFID = "wkAJ2GCAAAZSfhHCt7IFSvLKtMPxyJTw"


@dataclass
class WecomServer:
    token: str = TOKEN
    aes_key: str = AES_KEY
    corp_id: str = CORP_ID
    timestamp: str = "1795312800"
    nonces: itertools.count[int] = field(default_factory=lambda: itertools.count(500))

    def crypto(self) -> WeChatCrypto:
        return WeChatCrypto(self.token, self.aes_key, self.corp_id)

    def verify(
        self, client: TestClient, account_id: str, plain: str, *, forged: bool = False
    ) -> Response:
        nonce = str(next(self.nonces))
        crypto = self.crypto()
        echostr = PrpCrypto(crypto.key).encrypt(plain, self.corp_id).decode()
        signature = _get_signature(self.token, self.timestamp, nonce, echostr)
        if forged:
            signature = "0" * 40
        params = {
            "msg_signature": signature,
            "timestamp": self.timestamp,
            "nonce": nonce,
            "echostr": echostr,
        }
        return client.get(f"/channels/wecom/{account_id}", params=params)

    def kf_event(self, sync_token: str = "ENCApHxnGDNAVNY4AaSJKj4Tb5mwsEMzxhFmHVGcra996NR") -> str:
        return (
            f"<xml><ToUserName><![CDATA[{self.corp_id}]]></ToUserName>"
            f"<CreateTime>1795312800</CreateTime><MsgType><![CDATA[event]]></MsgType>"
            f"<Event><![CDATA[kf_msg_or_event]]></Event><Token><![CDATA[{sync_token}]]></Token>"
            f"<OpenKfId><![CDATA[{OPEN_KFID}]]></OpenKfId></xml>"
        )

    def callback(
        self, client: TestClient, account_id: str, xml: str, *, forged: bool = False
    ) -> Response:
        nonce = str(next(self.nonces))
        envelope = xmltodict.parse(self.crypto().encrypt_message(xml, nonce, self.timestamp))["xml"]
        body = (
            f"<xml><ToUserName><![CDATA[{self.corp_id}]]></ToUserName>"
            f"<AgentID><![CDATA[]]></AgentID>"
            f"<Encrypt><![CDATA[{envelope['Encrypt']}]]></Encrypt></xml>"
        )
        params = {
            "msg_signature": "0" * 40 if forged else envelope["MsgSignature"],
            "timestamp": self.timestamp,
            "nonce": nonce,
        }
        return client.post(f"/channels/wecom/{account_id}", params=params, content=body.encode())


def customer_text(n: int, user: str = "wmUser0001", text: str | None = None) -> dict[str, Any]:
    return {
        "msgid": f"msg{n:04d}",
        "open_kfid": OPEN_KFID,
        "external_userid": user,
        "send_time": 1795312800 + n,
        "origin": 3,
        "msgtype": "text",
        "text": {"content": text or f"第{n}条消息"},
    }


def customer_media(n: int, msgtype: str, media_id: str, user: str = "wmUser0001") -> dict[str, Any]:
    return {
        "msgid": f"msg{n:04d}",
        "open_kfid": OPEN_KFID,
        "external_userid": user,
        "send_time": 1795312800 + n,
        "origin": 3,
        "msgtype": msgtype,
        msgtype: {"media_id": media_id},
    }


# kf/service_state/trans: which states may follow which (WeCom's documented rules).
ALLOWED_TRANSITIONS = {0: {1, 2, 3, 4}, 1: {1, 2, 3, 4}, 2: {2, 3, 4}, 3: {3, 4}, 4: set()}


@dataclass
class KfState:
    messages: list[dict[str, Any]] = field(default_factory=list)
    page_size: int = 2
    sent_msgids: set[str] = field(default_factory=set)
    service_state: dict[str, int] = field(default_factory=dict)
    servicer: dict[str, str] = field(default_factory=dict)
    servicers: set[str] = field(default_factory=lambda: {"zhangsan", "lisi"})
    # Files customers sent, by media id, with their content type and name.
    media: dict[str, tuple[bytes, str, str]] = field(default_factory=dict)


def wecom_api_peer(state: KfState) -> ApiPeer:
    def gettoken(peer: ApiPeer, call: Call) -> tuple[int, dict[str, str], bytes]:
        if call.query.get("corpid") != CORP_ID:
            return json_answer({"errcode": 40013, "errmsg": "invalid corpid"})
        if call.query.get("corpsecret") != SECRET:
            return json_answer({"errcode": 40001, "errmsg": "invalid credential"})
        return json_answer({"errcode": 0, "errmsg": "ok", **peer.issue_token()})

    def authorised(peer: ApiPeer, call: Call) -> dict[str, Any] | None:
        return peer.token_error(call) or peer.next_scripted(call.path)

    def sync_msg(peer: ApiPeer, call: Call) -> tuple[int, dict[str, str], bytes]:
        refused = authorised(peer, call)
        if refused is not None:
            return json_answer(refused)
        cursor = str(call.body.get("cursor") or "")
        start = int(cursor.removeprefix("C")) if cursor else 0
        page = state.messages[
            start : start + min(state.page_size, int(call.body.get("limit", 1000)))
        ]
        end = start + len(page)
        for item in page:
            # A customer writing after the session ended opens a new one.
            if item.get("origin") == 3 and state.service_state.get(item["external_userid"]) == 4:
                state.service_state[item["external_userid"]] = 0
        return json_answer(
            {
                "errcode": 0,
                "errmsg": "ok",
                "next_cursor": f"C{end}",
                "has_more": 1 if end < len(state.messages) else 0,
                "msg_list": page,
            }
        )

    def send_msg(peer: ApiPeer, call: Call) -> tuple[int, dict[str, str], bytes]:
        refused = authorised(peer, call)
        if refused is not None:
            return json_answer(refused)
        msgid = call.body.get("msgid", "")
        msgtype = call.body.get("msgtype")
        media = call.body.get(msgtype, {}) if msgtype in ("image", "file", "voice") else None
        if media is not None and media.get("media_id") not in peer.uploaded:
            return json_answer({"errcode": 40007, "errmsg": "invalid media_id"})
        if msgid in state.sent_msgids:
            return json_answer({"errcode": 95004, "errmsg": "duplicate msgid"})
        state.sent_msgids.add(msgid)
        return json_answer({"errcode": 0, "errmsg": "ok", "msgid": msgid or "generated"})

    def state_get(peer: ApiPeer, call: Call) -> tuple[int, dict[str, str], bytes]:
        refused = authorised(peer, call)
        if refused is not None:
            return json_answer(refused)
        user = call.body.get("external_userid", "")
        return json_answer(
            {"errcode": 0, "errmsg": "ok", "service_state": state.service_state.get(user, 0)}
        )

    def state_trans(peer: ApiPeer, call: Call) -> tuple[int, dict[str, str], bytes]:
        refused = authorised(peer, call)
        if refused is not None:
            return json_answer(refused)
        user, target = call.body["external_userid"], call.body["service_state"]
        current = state.service_state.get(user, 0)
        if current == 4:
            return json_answer({"errcode": 95013, "errmsg": "session has ended"})
        if target not in ALLOWED_TRANSITIONS[current]:
            return json_answer({"errcode": 95016, "errmsg": "state transition not allowed"})
        servicer = call.body.get("servicer_userid", "")
        if target == 3 and servicer not in state.servicers:
            return json_answer({"errcode": 95014, "errmsg": "user is not a servicer"})
        state.service_state[user] = target
        if servicer:
            state.servicer[user] = servicer
        return json_answer({"errcode": 0, "errmsg": "ok"})

    def media_get(peer: ApiPeer, call: Call) -> tuple[int, dict[str, str], bytes]:
        refused = peer.token_error(call) or peer.next_scripted(call.path)
        if refused is not None:
            return json_answer(refused)
        found = state.media.get(call.query.get("media_id", ""))
        if found is None:
            return json_answer({"errcode": 40007, "errmsg": "invalid media_id"})
        data, content_type, name = found
        headers = {"content-type": content_type}
        if name:
            headers["content-disposition"] = f'attachment; filename="{name}"'
        return 200, headers, data

    return ApiPeer(
        routes={
            "GET /cgi-bin/gettoken": gettoken,
            "POST /cgi-bin/kf/sync_msg": sync_msg,
            "POST /cgi-bin/kf/send_msg": send_msg,
            "POST /cgi-bin/kf/service_state/get": state_get,
            "POST /cgi-bin/kf/service_state/trans": state_trans,
            "GET /cgi-bin/media/get": media_get,
            "POST /cgi-bin/media/upload": media_upload(
                {
                    "image": 10 * 1024 * 1024,
                    "voice": 2 * 1024 * 1024,
                    "video": 10 * 1024 * 1024,
                    "file": 20 * 1024 * 1024,
                },
                {"image": {"jpg", "png"}, "voice": {"amr"}, "video": {"other"}},
            ),
        }
    )
