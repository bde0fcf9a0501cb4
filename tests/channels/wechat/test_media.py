"""Replies with pictures, files and links reach WeChat followers: pictures are uploaded as
temporary media (multipart ``media/upload``, media id reused for three days) and sent as
image messages; a reply that is one link is a link card; a picture in the bot's instant
answer goes in the passive reply itself.

The API is :func:`tests.channels.wechat.peer.wechat_api_peer`, a real HTTP server on
127.0.0.1 answering like api.weixin.qq.com: it checks the access token, the media type,
the file's real format and size with WeChat's errcodes (40004/40005/40006/41005), and
refuses image messages naming a media_id it never issued (40007).
"""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.channels.wechat.conftest import AccountMaker
from tests.channels.wechat.peer import JPEG, ApiPeer, WechatServer
from tests.channels.wechat.test_outbound import (
    OPENID,
    customer_writes,
    quiet_bot,
    row_for,
    sends,
)
from yiwen.attachments.service import FileStore, store_attachment
from yiwen.bot import service as bot_service
from yiwen.channels.accounts import account_view
from yiwen.channels.media import MediaRefused, OutboundFile
from yiwen.channels.models import ChannelAccount, MediaUpload
from yiwen.channels.wechat.apicall import TencentApi
from yiwen.channels.wechat.client import WechatApi
from yiwen.channels.wechat.tokens import AccessTokenCache
from yiwen.conversations.models import Conversation
from yiwen.conversations.service import post_staff_message
from yiwen.core.clock import FixedClock
from yiwen.core.db import Database
from yiwen.core.settings import Settings

__all__ = ["quiet_bot"]
UPLOAD = "/cgi-bin/media/upload"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
# A real JPEG is larger than the peer's 5-byte minimum; pad the tiny test picture.
PICTURE = JPEG[:-2] + b"\x00" * 64 + JPEG[-2:]


def reply_in(
    db: Session,
    clock: FixedClock,
    settings: Settings,
    conversation_id: str,
    text: str,
    files: list[tuple[str, bytes]],
    *,
    sender_type: str = "agent",
) -> int:
    conversation = db.get(Conversation, conversation_id)
    assert conversation is not None
    ids = [
        store_attachment(
            db,
            clock,
            FileStore(settings.upload_dir),
            io.BytesIO(data),
            filename=name,
            limit=settings.upload_max_bytes,
            customer_id=conversation.customer_id,
            uploaded_by_type="staff",
            uploaded_by_id="agent-1",
            conversation_id=conversation.id,
        ).id
        for name, data in files
    ]
    return post_staff_message(
        db,
        clock,
        conversation,
        sender_type=sender_type,
        sender_id=None,
        sender_name="客服小李",
        body=text,
        max_chars=settings.message_max_chars,
        attachment_ids=ids,
    ).id


def reply_with_files(
    database: Database,
    clock: FixedClock,
    settings: Settings,
    conversation_id: str,
    text: str,
    files: list[tuple[str, bytes]],
) -> int:
    with database.transaction() as db:
        return reply_in(db, clock, settings, conversation_id, text, files)


def uploads(peer: ApiPeer) -> list[str]:
    return [call.query.get("type", "") for call in peer.calls if call.path == UPLOAD]


def test_a_picture_is_uploaded_as_temporary_media_and_sent_after_the_text(
    wx_client: TestClient,
    app: FastAPI,
    wechat: WechatServer,
    make_account: AccountMaker,
    database: Database,
    clock: FixedClock,
    settings: Settings,
    api_peer: ApiPeer,
    quiet_bot: None,
) -> None:
    account_id = make_account()
    conversation_id = customer_writes(wx_client, wechat, account_id, "卡密无效", "41001")
    message_id = reply_with_files(
        database, clock, settings, conversation_id, "已补发，见截图", [("截图.jpg", PICTURE)]
    )
    app.state.worker.run_until_idle()

    assert row_for(database, message_id).status == "sent"
    sent = sends(api_peer)
    assert [body["msgtype"] for body in sent] == ["text", "image"]  # type: ignore[index]
    media_id = sent[1]["image"]["media_id"]  # type: ignore[index]
    assert api_peer.uploaded[media_id].data == PICTURE
    assert api_peer.uploaded[media_id].field == "media"
    assert uploads(api_peer) == ["image"]
    with database.reading() as db:
        cached = db.execute(select(MediaUpload.media_id, MediaUpload.account_id)).one()
    assert tuple(cached) == (media_id, account_id)


def test_the_same_picture_is_uploaded_once_within_three_days_and_again_after(
    wx_client: TestClient,
    app: FastAPI,
    wechat: WechatServer,
    make_account: AccountMaker,
    database: Database,
    clock: FixedClock,
    settings: Settings,
    api_peer: ApiPeer,
    quiet_bot: None,
) -> None:
    account_id = make_account()
    conversation_id = customer_writes(wx_client, wechat, account_id, "在吗", "41002")
    for text in ("第一张", "同一张"):
        reply_with_files(database, clock, settings, conversation_id, text, [("a.jpg", PICTURE)])
    app.state.worker.run_until_idle()
    assert uploads(api_peer) == ["image"]
    images = [b["image"]["media_id"] for b in sends(api_peer) if b["msgtype"] == "image"]  # type: ignore[index]
    assert len(images) == 2 and len(set(images)) == 1

    clock.advance(timedelta(days=3))
    wechat.push(wx_client, account_id, wechat.text(OPENID, "还在吗", "41003"))
    reply_with_files(database, clock, settings, conversation_id, "再发一次", [("a.jpg", PICTURE)])
    app.state.worker.run_until_idle()
    assert uploads(api_peer) == ["image", "image"]


def test_a_media_id_wechat_forgot_is_uploaded_again_once(
    wx_client: TestClient,
    app: FastAPI,
    wechat: WechatServer,
    make_account: AccountMaker,
    database: Database,
    clock: FixedClock,
    settings: Settings,
    api_peer: ApiPeer,
    quiet_bot: None,
) -> None:
    account_id = make_account()
    conversation_id = customer_writes(wx_client, wechat, account_id, "在吗", "41004")
    reply_with_files(database, clock, settings, conversation_id, "一", [("a.jpg", PICTURE)])
    app.state.worker.run_until_idle()
    api_peer.uploaded.clear()  # WeChat purged its copy before the three days were over
    second = reply_with_files(
        database, clock, settings, conversation_id, "二", [("a.jpg", PICTURE)]
    )
    app.state.worker.run_until_idle()
    assert row_for(database, second).status == "sent"
    assert uploads(api_peer) == ["image", "image"]
    assert [b["msgtype"] for b in sends(api_peer)].count("image") == 3  # type: ignore[index]


def test_a_file_wechat_cannot_carry_is_named_in_the_text_and_never_uploaded(
    wx_client: TestClient,
    app: FastAPI,
    wechat: WechatServer,
    make_account: AccountMaker,
    database: Database,
    clock: FixedClock,
    settings: Settings,
    api_peer: ApiPeer,
    quiet_bot: None,
) -> None:
    account_id = make_account()
    conversation_id = customer_writes(wx_client, wechat, account_id, "要发票", "41005")
    message_id = reply_with_files(
        database, clock, settings, conversation_id, "发票见附件", [("发票.pdf", PDF)]
    )
    app.state.worker.run_until_idle()
    assert row_for(database, message_id).status == "sent"
    assert uploads(api_peer) == []
    sent = sends(api_peer)
    assert [b["msgtype"] for b in sent] == ["text"]  # type: ignore[index]
    content = str(sent[0]["text"]["content"])  # type: ignore[index]
    assert "发票见附件" in content and "发票.pdf" in content


def test_a_failed_upload_retries_the_delivery_before_any_text_is_sent(
    wx_client: TestClient,
    app: FastAPI,
    wechat: WechatServer,
    make_account: AccountMaker,
    database: Database,
    clock: FixedClock,
    settings: Settings,
    api_peer: ApiPeer,
    quiet_bot: None,
) -> None:
    account_id = make_account()
    conversation_id = customer_writes(wx_client, wechat, account_id, "在吗", "41006")
    api_peer.script(UPLOAD, {"errcode": -1, "errmsg": "system error"})
    message_id = reply_with_files(
        database, clock, settings, conversation_id, "截图", [("a.jpg", PICTURE)]
    )
    app.state.worker.run_until_idle()
    assert row_for(database, message_id).status == "failed"
    assert sends(api_peer) == []  # nothing reached the customer: no text twice later
    clock.advance(timedelta(minutes=5))
    app.state.worker.run_until_idle()
    assert row_for(database, message_id).status == "sent"
    assert [b["msgtype"] for b in sends(api_peer)] == ["text", "image"]  # type: ignore[index]


def test_the_platform_refuses_a_wrong_format_an_oversized_file_and_a_stale_token(
    database: Database,
    clock: FixedClock,
    settings: Settings,
    make_account: AccountMaker,
    api_peer: ApiPeer,
) -> None:
    """The peer's own checks, as WeChat answers them, seen through Yiwen's client."""
    account_id = make_account()
    with database.reading() as db:
        row = db.get(ChannelAccount, account_id)
        assert row is not None
        account = account_view(settings, row)
    api = WechatApi(TencentApi(AccessTokenCache(clock)))
    try:
        with pytest.raises(MediaRefused, match="40005"):
            api.upload_media(account, "image", OutboundFile("x.jpg", "image/jpeg", PDF))
        oversized = JPEG + b"\x00" * (10 * 1024 * 1024)
        with pytest.raises(MediaRefused, match="40006"):
            api.upload_media(account, "image", OutboundFile("big.jpg", "image/jpeg", oversized))
        assert api.upload_media(account, "image", OutboundFile("ok.jpg", "image/jpeg", PICTURE))
        api_peer.expire_tokens()
        assert api.upload_media(account, "image", OutboundFile("ok.jpg", "image/jpeg", PICTURE))
        tokens = [c.query["access_token"] for c in api_peer.calls if c.path == UPLOAD]
        assert tokens[-2:] == ["ACCESS_TOKEN_1", "ACCESS_TOKEN_2"]
    finally:
        api.api.close()


def test_links_in_a_reply_are_anchors_and_other_schemes_stay_text(
    wx_client: TestClient,
    app: FastAPI,
    wechat: WechatServer,
    make_account: AccountMaker,
    database: Database,
    clock: FixedClock,
    settings: Settings,
    api_peer: ApiPeer,
    quiet_bot: None,
) -> None:
    account_id = make_account()
    conversation_id = customer_writes(wx_client, wechat, account_id, "怎么兑换", "41007")
    reply_with_files(
        database,
        clock,
        settings,
        conversation_id,
        "请看[兑换教程](https://shop.example.com/help/1)，或[javascript](javascript:alert(1))",
        [],
    )
    app.state.worker.run_until_idle()
    (sent,) = sends(api_peer)
    content = str(sent["text"]["content"])  # type: ignore[index]
    assert '请看<a href="https://shop.example.com/help/1">兑换教程</a>，' in content
    assert "[javascript](javascript:alert(1))" in content


def test_a_picture_from_the_bot_goes_in_the_passive_reply(
    wx_client: TestClient,
    app: FastAPI,
    wechat: WechatServer,
    make_account: AccountMaker,
    database: Database,
    clock: FixedClock,
    settings: Settings,
    api_peer: ApiPeer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    answered: list[int] = []

    def bot_sends_picture(
        db: Session,
        clock_: FixedClock,
        settings_: Settings,
        store: object,
        conversation_id: str,
        message_id: int,
    ) -> bool:
        answered.append(
            reply_in(
                db, clock, settings, conversation_id, "", [("教程.jpg", PICTURE)], sender_type="bot"
            )
        )
        return True

    monkeypatch.setattr(bot_service, "handle_customer_message", bot_sends_picture)
    account_id = make_account(encrypt_mode="safe")
    response = wechat.push(
        wx_client, account_id, wechat.text(OPENID, "怎么兑换", "41008"), safe=True
    )
    reply = wechat.read_reply(response, safe=True)
    assert reply["MsgType"] == "image"
    media_id = reply["Image"]["MediaId"]  # type: ignore[index]
    assert api_peer.uploaded[media_id].data == PICTURE
    assert answered and row_for(database, answered[0]).status == "sent"
    app.state.worker.run_until_idle()
    assert sends(api_peer) == []  # not sent a second time by the API
