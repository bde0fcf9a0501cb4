"""Local peers that speak WeCom customer service's protocols.

:class:`WecomServer` plays WeCom calling Yiwen back: the URL check's
``echostr`` and every callback are encrypted and signed with wechatpy's
enterprise ``WeChatCrypto`` exactly as WeCom does (``msg_signature`` over
token, timestamp, nonce and ciphertext; the corp id inside the plaintext).

:func:`wecom_api_peer` is a real HTTP server on 127.0.0.1 playing
qyapi.weixin.qq.com: ``gettoken``, ``kf/sync_msg`` (messages paged by an opaque
cursor, ``has_more``/``next_cursor`` as WeCom returns them), ``kf/send_msg``
(deduplicating by ``msgid`` like WeCom), ``kf/service_state/get|trans``.
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

from tests.channels.wechat.peer import ApiPeer, Call, json_answer

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


@dataclass
class KfState:
    messages: list[dict[str, Any]] = field(default_factory=list)
    page_size: int = 2
    sent_msgids: set[str] = field(default_factory=set)
    service_state: dict[str, int] = field(default_factory=dict)


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
        state.service_state[call.body["external_userid"]] = call.body["service_state"]
        return json_answer({"errcode": 0, "errmsg": "ok"})

    return ApiPeer(
        routes={
            "GET /cgi-bin/gettoken": gettoken,
            "POST /cgi-bin/kf/sync_msg": sync_msg,
            "POST /cgi-bin/kf/send_msg": send_msg,
            "POST /cgi-bin/kf/service_state/get": state_get,
            "POST /cgi-bin/kf/service_state/trans": state_trans,
        }
    )
