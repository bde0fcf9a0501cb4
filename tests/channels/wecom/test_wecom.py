"""WeCom customer service end to end against local peers speaking its protocols.

Callbacks are encrypted and signed with wechatpy's enterprise crypto as WeCom
does; the API is a real HTTP server on 127.0.0.1 answering like
qyapi.weixin.qq.com (see ``tests.channels.wecom.peer``).
"""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.channels.wechat.peer import ApiPeer
from tests.channels.wecom.peer import OPEN_KFID, KfState, WecomServer, customer_text
from tests.factories import StaffTeam, login_headers
from yiwen.bot import service as bot_service
from yiwen.channels.cursors import get_cursor
from yiwen.channels.models import InboundReceipt
from yiwen.channels.wechat.apicall import TencentApi
from yiwen.channels.wechat.tokens import AccessTokenCache
from yiwen.channels.wecom import sync as wecom_sync
from yiwen.channels.wecom.client import WecomApi
from yiwen.conversations.models import Conversation, Message
from yiwen.conversations.service import post_staff_message
from yiwen.core.clock import FixedClock
from yiwen.core.db import Database
from yiwen.notify.models import OutboxEntry

SYNC = "/cgi-bin/kf/sync_msg"
SEND = "/cgi-bin/kf/send_msg"


def customer_bodies(database: Database) -> list[str]:
    with database.reading() as db:
        return list(
            db.scalars(
                select(Message.body).where(Message.sender_type == "customer").order_by(Message.id)
            )
        )


def receipts(database: Database) -> int:
    with database.reading() as db:
        return int(db.scalar(select(func.count()).select_from(InboundReceipt)) or 0)


def cursor(database: Database, account_id: str) -> str:
    with database.reading() as db:
        return get_cursor(db, account_id, "sync_msg")


def test_url_verification_returns_the_decrypted_echostr(
    kf_client: TestClient, wecom: WecomServer, account_id: str
) -> None:
    response = wecom.verify(kf_client, account_id, "6234791234567890")
    assert (response.status_code, response.text) == (200, "6234791234567890")
    forged = wecom.verify(kf_client, account_id, "6234791234567890", forged=True)
    assert forged.status_code == 401
    assert forged.json()["error"]["code"] == "channel_signature_invalid"


def test_a_callback_syncs_every_page_and_the_bot_answers(
    kf_client: TestClient,
    wecom: WecomServer,
    account_id: str,
    kf: KfState,
    api_peer: ApiPeer,
    database: Database,
) -> None:
    kf.messages = [customer_text(n) for n in range(1, 6)]
    kf.messages.insert(2, {**customer_text(99), "origin": 4, "msgtype": "event", "event": {}})
    response = wecom.callback(kf_client, account_id, wecom.kf_event("SYNC-TOKEN-1"))
    assert (response.status_code, response.text) == (200, "success")
    assert customer_bodies(database) == [f"第{n}条消息" for n in range(1, 6)]
    calls = [c.body for c in api_peer.calls if c.path == SYNC]
    assert [c["cursor"] for c in calls] == ["", "C2", "C4"]
    assert {c["token"] for c in calls} == {"SYNC-TOKEN-1"}
    assert {c["open_kfid"] for c in calls} == {OPEN_KFID}
    assert cursor(database, account_id) == "C6"
    with database.reading() as db:
        channel = db.scalars(select(Conversation.channel)).one()
        bot = db.scalar(select(func.count()).where(Message.sender_type == "bot"))
    assert channel == "wecom" and bot


def test_a_forged_callback_is_refused_and_nothing_is_read(
    kf_client: TestClient,
    wecom: WecomServer,
    account_id: str,
    kf: KfState,
    api_peer: ApiPeer,
    database: Database,
) -> None:
    kf.messages = [customer_text(1)]
    response = wecom.callback(kf_client, account_id, wecom.kf_event(), forged=True)
    assert response.status_code == 401
    stranger = WecomServer(corp_id="wwffffffffffffffff")
    assert stranger.callback(kf_client, account_id, stranger.kf_event()).status_code == 401
    assert SYNC not in api_peer.paths()
    assert receipts(database) == 0 and customer_bodies(database) == []


def test_duplicate_callbacks_store_each_message_once(
    kf_client: TestClient,
    wecom: WecomServer,
    account_id: str,
    kf: KfState,
    database: Database,
) -> None:
    kf.messages = [customer_text(n) for n in range(1, 4)]
    for _ in range(3):
        assert wecom.callback(kf_client, account_id, wecom.kf_event()).status_code == 200
    # A message WeCom lists again (an overlapping read) is a duplicate receipt, not a message.
    kf.messages.append(customer_text(2))
    wecom.callback(kf_client, account_id, wecom.kf_event())
    assert customer_bodies(database) == ["第1条消息", "第2条消息", "第3条消息"]
    assert receipts(database) == 3


class Crash(Exception):
    """The process dying between pages (after one page's commit, before the next)."""


@pytest.mark.parametrize("where", ["between_pages", "inside_a_page"])
def test_a_restart_mid_sync_neither_loses_nor_doubles_a_message(
    kf_client: TestClient,
    app: FastAPI,
    wecom: WecomServer,
    account_id: str,
    kf: KfState,
    api_peer: ApiPeer,
    database: Database,
    monkeypatch: pytest.MonkeyPatch,
    where: str,
) -> None:
    kf.messages = [customer_text(n) for n in range(1, 8)]  # four pages of two
    real_store = wecom_sync.store_page
    stored_pages: list[int] = []

    def crashing_store(*args: object, **kwargs: object) -> None:
        if where == "inside_a_page" and len(stored_pages) == 1:
            real_store(*args, **kwargs)  # type: ignore[arg-type]
            raise Crash  # the page's messages were written, but the transaction never commits
        if where == "between_pages" and len(stored_pages) == 2:
            raise Crash
        real_store(*args, **kwargs)  # type: ignore[arg-type]
        stored_pages.append(1)

    monkeypatch.setattr(wecom_sync, "store_page", crashing_store)
    api = WecomApi(TencentApi(AccessTokenCache(app.state.clock)))
    with pytest.raises(Crash):
        wecom_sync.sync_account(database, app.state.clock, app.state.settings, api, account_id)
    api.api.close()
    committed = 2 if where == "between_pages" else 1
    assert customer_bodies(database) == [f"第{n}条消息" for n in range(1, 2 * committed + 1)]
    assert cursor(database, account_id) == f"C{2 * committed}"

    monkeypatch.setattr(wecom_sync, "store_page", real_store)  # the restarted process
    assert wecom.callback(kf_client, account_id, wecom.kf_event()).status_code == 200
    assert customer_bodies(database) == [f"第{n}条消息" for n in range(1, 8)]
    assert receipts(database) == 7
    cursors = [c.body["cursor"] for c in api_peer.calls if c.path == SYNC]
    resumed = cursors[committed + 1 :]
    assert resumed[0] == f"C{2 * committed}"  # the restart reads on from the committed cursor


def test_a_failed_page_keeps_the_cursor_and_the_next_callback_resumes(
    kf_client: TestClient,
    wecom: WecomServer,
    account_id: str,
    kf: KfState,
    api_peer: ApiPeer,
    database: Database,
) -> None:
    kf.messages = [customer_text(n) for n in range(1, 6)]
    api_peer.script(
        SYNC,
        {
            "errcode": 0,
            "errmsg": "ok",
            "next_cursor": "C2",
            "has_more": 1,
            "msg_list": kf.messages[:2],
        },
        {"errcode": -1, "errmsg": "system error"},
    )
    assert wecom.callback(kf_client, account_id, wecom.kf_event()).status_code == 200
    assert cursor(database, account_id) == "C2"
    assert wecom.callback(kf_client, account_id, wecom.kf_event()).status_code == 200
    assert customer_bodies(database) == [f"第{n}条消息" for n in range(1, 6)]


def test_replies_go_out_by_send_msg_once_and_a_stale_token_is_refreshed(
    kf_client: TestClient,
    app: FastAPI,
    wecom: WecomServer,
    account_id: str,
    kf: KfState,
    api_peer: ApiPeer,
    database: Database,
    clock: FixedClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(bot_service, "handle_customer_message", lambda *a, **k: False)
    kf.messages = [customer_text(1, user="wmCustomerA")]
    wecom.callback(kf_client, account_id, wecom.kf_event())

    def reply(text: str) -> int:
        with database.transaction() as db:
            conversation = db.scalars(
                select(Conversation).where(Conversation.channel == "wecom")
            ).one()
            return post_staff_message(
                db,
                clock,
                conversation,
                sender_type="agent",
                sender_id=None,
                sender_name="客服小李",
                body=text,
                max_chars=5000,
            ).id

    reply("您好，卡密已补发")
    app.state.worker.run_until_idle()
    api_peer.expire_tokens()  # WeCom answers 42001 to the cached token
    reply("请查收")
    app.state.worker.run_until_idle()
    sends = [c for c in api_peer.calls if c.path == SEND]
    tokens = [c.query["access_token"] for c in sends]
    assert tokens == ["ACCESS_TOKEN_1", "ACCESS_TOKEN_1", "ACCESS_TOKEN_2"]
    ok = [sends[0], sends[2]]
    assert [c.body["touser"] for c in ok] == ["wmCustomerA", "wmCustomerA"]
    assert [c.body["open_kfid"] for c in ok] == [OPEN_KFID, OPEN_KFID]
    assert "您好，卡密已补发" in ok[0].body["text"]["content"]
    assert "请查收" in ok[1].body["text"]["content"]
    assert len({c.body["msgid"] for c in ok}) == 2
    assert api_peer.paths().count("/cgi-bin/gettoken") == 2
    with database.reading() as db:
        assert set(db.scalars(select(OutboxEntry.status))) == {"sent"}


def test_staff_end_the_wecom_session(
    kf_client: TestClient,
    wecom: WecomServer,
    account_id: str,
    kf: KfState,
    database: Database,
    team: StaffTeam,
) -> None:
    kf.messages = [customer_text(1, user="wmCustomerB")]
    wecom.callback(kf_client, account_id, wecom.kf_event())
    with database.reading() as db:
        conversation_id = db.scalars(
            select(Conversation.id).where(Conversation.channel == "wecom")
        ).one()
    url = f"/api/v1/channels/wecom/conversations/{conversation_id}/service-state"
    headers = login_headers(kf_client, team.l1.username)
    response = kf_client.post(url, json={"service_state": 4}, headers=headers)
    assert response.status_code == 200, response.text
    assert kf.service_state["wmCustomerB"] == 4
    refused = kf_client.post(url, json={"service_state": 3}, headers=headers)
    assert refused.status_code == 422
    assert kf_client.post(url, json={"service_state": 4}).status_code == 401
