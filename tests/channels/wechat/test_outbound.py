"""Replies that miss the reply window go out by the customer-service message API through
the outbox worker, inside WeChat's 48-hour window only.

The API is :func:`tests.channels.wechat.peer.wechat_api_peer`, a real HTTP server
on 127.0.0.1 answering like api.weixin.qq.com (tokens, errcodes 40001/42001/45015/-1).
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.channels.wechat.conftest import AccountMaker
from tests.channels.wechat.peer import ApiPeer, WechatServer
from tests.factories import StaffTeam, login_headers
from yiwen.auth.audit import Actor
from yiwen.bot import service as bot_service
from yiwen.channels.accounts import update_account
from yiwen.conversations.models import Conversation, Message
from yiwen.conversations.service import post_staff_message
from yiwen.core.clock import FixedClock
from yiwen.core.db import Database
from yiwen.notify.models import OutboxEntry

OPENID = "oFollower0000000000000001"
SEND = "/cgi-bin/message/custom/send"


def customer_writes(
    client: TestClient, wechat: WechatServer, account_id: str, text: str, msg_id: str
) -> str:
    response = wechat.push(client, account_id, wechat.text(OPENID, text, msg_id))
    assert response.status_code == 200, response.text
    database: Database = client.app.state.database  # type: ignore[attr-defined]
    with database.reading() as db:
        return str(
            db.scalars(select(Conversation.id).where(Conversation.channel == "wechat")).one()
        )


def agent_replies(database: Database, clock: FixedClock, conversation_id: str, text: str) -> int:
    with database.transaction() as db:
        conversation = db.get(Conversation, conversation_id)
        assert conversation is not None
        message = post_staff_message(
            db,
            clock,
            conversation,
            sender_type="agent",
            sender_id=None,
            sender_name="客服小李",
            body=text,
            max_chars=5000,
        )
        return message.id


def row_for(database: Database, message_id: int) -> OutboxEntry:
    with database.reading() as db:
        row = db.scalars(
            select(OutboxEntry).where(
                OutboxEntry.idempotency_key == f"message:{message_id}:channel"
            )
        ).one()
        db.expunge_all()
    return row


def sends(peer: ApiPeer) -> list[dict[str, object]]:
    return [call.body for call in peer.calls if call.path == SEND]


@pytest.fixture
def quiet_bot(monkeypatch: pytest.MonkeyPatch) -> None:
    """A conversation the bot leaves alone, so only the agent's replies go out."""
    monkeypatch.setattr(bot_service, "handle_customer_message", lambda *args, **kwargs: False)


def test_a_slow_bot_answer_is_acknowledged_and_sent_by_the_custom_send_api(
    wx_client: TestClient,
    app: FastAPI,
    wechat: WechatServer,
    make_account: AccountMaker,
    database: Database,
    api_peer: ApiPeer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_turn = bot_service.handle_customer_message

    def slow_turn(*args: object, **kwargs: object) -> bool:
        time.sleep(0.6)
        return real_turn(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(bot_service, "handle_customer_message", slow_turn)
    account_id = make_account(reply_budget_seconds=0.3)
    response = wechat.push(wx_client, account_id, wechat.text(OPENID, "你好", "31001"))
    assert (response.status_code, response.text) == (200, "success")
    with database.reading() as db:
        bot_bodies = list(db.scalars(select(Message.body).where(Message.sender_type == "bot")))
        pending = list(db.scalars(select(OutboxEntry.status).where(OutboxEntry.kind == "channel")))
    assert bot_bodies and set(pending) == {"pending"}
    assert sends(api_peer) == []

    app.state.worker.run_until_idle()
    sent = sends(api_peer)
    assert len(sent) == len(bot_bodies)
    assert {body["touser"] for body in sent} == {OPENID}  # type: ignore[index]
    assert all(body["msgtype"] == "text" for body in sent)  # type: ignore[index]
    assert bot_bodies[0] in str(sent[0]["text"])
    with database.reading() as db:
        assert set(db.scalars(select(OutboxEntry.status))) == {"sent"}


def test_an_agent_reply_within_48_hours_goes_out_with_one_cached_token(
    wx_client: TestClient,
    app: FastAPI,
    wechat: WechatServer,
    make_account: AccountMaker,
    database: Database,
    clock: FixedClock,
    api_peer: ApiPeer,
    quiet_bot: None,
) -> None:
    account_id = make_account()
    conversation_id = customer_writes(wx_client, wechat, account_id, "卡密无效", "31002")
    clock.advance(timedelta(hours=47))
    first = agent_replies(database, clock, conversation_id, "已为您补发卡密")
    second = agent_replies(database, clock, conversation_id, "请查收")
    app.state.worker.run_until_idle()
    assert [row_for(database, m).status for m in (first, second)] == ["sent", "sent"]
    texts = [str(body["text"]) for body in sends(api_peer)]  # type: ignore[index]
    assert "已为您补发卡密" in texts[0] and "请查收" in texts[1]
    assert api_peer.paths().count("/cgi-bin/token") == 1


def test_outside_the_48_hour_window_nothing_is_sent_and_the_agent_is_told(
    wx_client: TestClient,
    app: FastAPI,
    wechat: WechatServer,
    make_account: AccountMaker,
    database: Database,
    clock: FixedClock,
    api_peer: ApiPeer,
    team: StaffTeam,
    quiet_bot: None,
) -> None:
    account_id = make_account()
    conversation_id = customer_writes(wx_client, wechat, account_id, "退款进度", "31003")
    headers = login_headers(wx_client, team.l1.username)
    url = f"/api/v1/channels/wechat/conversations/{conversation_id}/window"
    before = wx_client.get(url, headers=headers).json()
    assert before["channel_window_open"] is True

    clock.advance(timedelta(hours=48, minutes=1))
    message_id = agent_replies(database, clock, conversation_id, "退款已原路退回")
    app.state.worker.run_until_idle()

    row = row_for(database, message_id)
    assert row.status == "dead"
    assert "48-hour window" in (row.last_error or "")
    assert sends(api_peer) == []
    with database.reading() as db:
        notes = list(
            db.scalars(
                select(Message.body).where(
                    Message.conversation_id == conversation_id,
                    Message.sender_type == "system",
                    Message.visibility == "internal",
                )
            )
        )
    assert len(notes) == 1 and "48 小时" in notes[0]
    headers = login_headers(wx_client, team.l1.username)  # the first session has expired
    after = wx_client.get(url, headers=headers).json()
    assert after["channel_window_open"] is False
    assert after["window_closes_at"] is not None
    assert wx_client.get(url).status_code == 401


def test_the_window_reopens_when_the_customer_writes_again(
    wx_client: TestClient,
    app: FastAPI,
    wechat: WechatServer,
    make_account: AccountMaker,
    database: Database,
    clock: FixedClock,
    api_peer: ApiPeer,
    quiet_bot: None,
) -> None:
    account_id = make_account()
    conversation_id = customer_writes(wx_client, wechat, account_id, "在吗", "31004")
    clock.advance(timedelta(days=3))
    wechat.push(wx_client, account_id, wechat.text(OPENID, "还在吗", "31005"))
    message_id = agent_replies(database, clock, conversation_id, "在的，请讲")
    app.state.worker.run_until_idle()
    assert row_for(database, message_id).status == "sent"


def test_wechat_refusing_with_45015_dead_letters_the_reply_and_tells_the_agent(
    wx_client: TestClient,
    app: FastAPI,
    wechat: WechatServer,
    make_account: AccountMaker,
    database: Database,
    clock: FixedClock,
    api_peer: ApiPeer,
    quiet_bot: None,
) -> None:
    account_id = make_account()
    conversation_id = customer_writes(wx_client, wechat, account_id, "在吗", "31006")
    api_peer.script(SEND, {"errcode": 45015, "errmsg": "response out of time limit"})
    message_id = agent_replies(database, clock, conversation_id, "您好")
    app.state.worker.run_until_idle()
    row = row_for(database, message_id)
    assert row.status == "dead" and "45015" in (row.last_error or "")
    with database.reading() as db:
        notes = db.scalars(select(Message.id).where(Message.sender_type == "system")).all()
    assert len(notes) == 1


def test_an_expired_token_is_refetched_once_and_the_reply_still_goes_out(
    wx_client: TestClient,
    app: FastAPI,
    wechat: WechatServer,
    make_account: AccountMaker,
    database: Database,
    clock: FixedClock,
    api_peer: ApiPeer,
    quiet_bot: None,
) -> None:
    account_id = make_account()
    conversation_id = customer_writes(wx_client, wechat, account_id, "在吗", "31007")
    agent_replies(database, clock, conversation_id, "第一条")
    app.state.worker.run_until_idle()
    api_peer.expire_tokens()  # the next call with the cached token gets errcode 42001
    second = agent_replies(database, clock, conversation_id, "第二条")
    app.state.worker.run_until_idle()
    assert row_for(database, second).status == "sent"
    tokens = [c.query.get("access_token") for c in api_peer.calls if c.path == SEND]
    assert tokens == ["ACCESS_TOKEN_1", "ACCESS_TOKEN_1", "ACCESS_TOKEN_2"]
    assert api_peer.paths().count("/cgi-bin/token") == 2


def test_a_busy_platform_is_retried_later_and_a_bad_secret_is_permanent(
    wx_client: TestClient,
    app: FastAPI,
    wechat: WechatServer,
    make_account: AccountMaker,
    database: Database,
    clock: FixedClock,
    api_peer: ApiPeer,
    quiet_bot: None,
) -> None:
    account_id = make_account()
    conversation_id = customer_writes(wx_client, wechat, account_id, "在吗", "31008")
    api_peer.script(SEND, {"errcode": -1, "errmsg": "system error"})
    busy = agent_replies(database, clock, conversation_id, "稍等")
    app.state.worker.run_until_idle()
    assert row_for(database, busy).status == "failed"
    clock.advance(timedelta(minutes=5))
    app.state.worker.run_until_idle()
    assert row_for(database, busy).status == "sent"

    with database.transaction() as db:
        update_account(
            db,
            clock,
            app.state.settings,
            account_id,
            actor=Actor.system(),
            secrets={"app_secret": "wrong"},
            config={"app_id": "wx-other-app-id"},
        )
    refused = agent_replies(database, clock, conversation_id, "再试")
    app.state.worker.run_until_idle()
    row = row_for(database, refused)
    assert row.status == "dead" and "40013" in (row.last_error or "")
