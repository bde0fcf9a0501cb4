"""WeChat OA pushes, as the platform sends them, reach conversations once; the bot's
answer comes back in the response within the reply window, and nowhere else.

The platform side is :class:`tests.channels.wechat.peer.WechatServer`: pushes
built, signed and (safe mode) encrypted with wechatpy exactly as WeChat does.
"""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.channels.wechat.conftest import AccountMaker, count
from tests.channels.wechat.peer import OA_ID, TOKEN, ApiPeer, WechatServer, sign
from yiwen.attachments.models import Attachment
from yiwen.channels.models import InboundReceipt
from yiwen.conversations.models import Conversation, Message
from yiwen.core.db import Database
from yiwen.customers.models import Customer, Identity
from yiwen.notify.models import OutboxEntry

OPENID = "oABCD1234567890openid"


def messages(database: Database) -> list[Message]:
    with database.reading() as db:
        found = list(db.scalars(select(Message).order_by(Message.id)))
        db.expunge_all()
    return found


def channel_rows(database: Database) -> list[OutboxEntry]:
    with database.reading() as db:
        found = list(db.scalars(select(OutboxEntry).where(OutboxEntry.kind == "channel")))
        db.expunge_all()
    return found


def test_url_verification_echoes_echostr_when_the_signature_matches(
    wx_client: TestClient, wechat: WechatServer, make_account: AccountMaker
) -> None:
    account_id = make_account()
    response = wechat.verify(wx_client, account_id, "echo-4711")
    assert response.status_code == 200
    assert response.text == "echo-4711"


def test_url_verification_with_a_forged_signature_is_refused(
    wx_client: TestClient, wechat: WechatServer, make_account: AccountMaker
) -> None:
    account_id = make_account()
    response = wechat.verify(wx_client, account_id, "echo-4711", forged=True)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "channel_signature_invalid"
    assert "echo-4711" not in response.text


def test_unknown_account_is_404(wx_client: TestClient, wechat: WechatServer) -> None:
    response = wechat.verify(wx_client, "0" * 32, "x")
    assert response.status_code == 404


@pytest.mark.parametrize("safe", [False, True], ids=["plain", "safe"])
def test_a_text_message_reaches_a_conversation_and_the_bot_answers_in_the_response(
    wx_client: TestClient,
    wechat: WechatServer,
    make_account: AccountMaker,
    database: Database,
    api_peer: ApiPeer,
    app: object,
    safe: bool,
) -> None:
    account_id = make_account("safe" if safe else "plain")
    xml = wechat.text(OPENID, "你好，我的订单没到账", "24001")
    started = time.monotonic()
    response = wechat.push(wx_client, account_id, xml, safe=safe)
    elapsed = time.monotonic() - started

    reply = wechat.read_reply(response, safe=safe)
    assert elapsed < 5
    assert reply["MsgType"] == "text"
    assert (reply["ToUserName"], reply["FromUserName"]) == (OPENID, OA_ID)
    stored = messages(database)
    assert stored[0].sender_type == "customer"
    assert stored[0].body == "你好，我的订单没到账"
    bot_replies = [m for m in stored if m.sender_type == "bot" and m.visibility == "public"]
    assert bot_replies, "the bot answered"
    for message in bot_replies:
        assert message.body in reply["Content"]
    with database.reading() as db:
        conversation = db.scalars(select(Conversation)).one()
        identity = db.scalars(select(Identity)).one()
        db.expunge_all()
    assert conversation.channel == "wechat" and conversation.channel_account_id == account_id
    assert identity.external_id == f"{account_id}:{OPENID}"

    # The answer went out in the response: the outbox holds it as sent, and the
    # worker sends nothing through the customer-service API.
    rows = channel_rows(database)
    assert rows and {row.status for row in rows} == {"sent"}
    assert {row.payload["passive_reply_to"] for row in rows} == {"24001"}
    app.state.worker.run_until_idle()  # type: ignore[attr-defined]
    assert "/cgi-bin/message/custom/send" not in api_peer.paths()


@pytest.mark.parametrize("safe", [False, True], ids=["plain", "safe"])
def test_a_forged_push_is_refused_and_nothing_is_stored(
    wx_client: TestClient,
    wechat: WechatServer,
    make_account: AccountMaker,
    database: Database,
    safe: bool,
) -> None:
    account_id = make_account("safe" if safe else "plain")
    xml = wechat.text(OPENID, "伪造的消息", "24002")
    forged = wechat.push(wx_client, account_id, xml, safe=safe, forge="signature")
    assert forged.status_code == 401
    assert forged.json()["error"]["code"] == "channel_signature_invalid"
    if safe:
        spoiled = wechat.push(wx_client, account_id, xml, safe=True, forge="msg_signature")
        assert spoiled.status_code == 401
    assert count(database, InboundReceipt) == 0
    assert count(database, Message) == 0
    assert count(database, Customer) == 0


def test_a_message_encrypted_for_another_account_is_refused(
    wx_client: TestClient, make_account: AccountMaker, database: Database
) -> None:
    account_id = make_account("safe")
    stranger = WechatServer(app_id="wxffffffffffffffff")
    response = stranger.push(wx_client, account_id, stranger.text(OPENID, "hi", "1"), safe=True)
    assert response.status_code == 401
    assert count(database, Message) == 0


def test_plaintext_to_a_safe_mode_account_is_refused(
    wx_client: TestClient, wechat: WechatServer, make_account: AccountMaker, database: Database
) -> None:
    account_id = make_account("safe")
    response = wechat.push(wx_client, account_id, wechat.text(OPENID, "明文", "24003"))
    assert response.status_code == 401
    assert count(database, Message) == 0


def test_garbage_xml_with_a_valid_signature_is_a_4xx(
    wx_client: TestClient, wechat: WechatServer, make_account: AccountMaker, database: Database
) -> None:
    account_id = make_account()
    nonce = "99"
    response = wx_client.post(
        f"/channels/wechat/{account_id}",
        params={"signature": sign(TOKEN, "1", nonce), "timestamp": "1", "nonce": nonce},
        content=b"<xml><not closed",
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "channel_payload_invalid"
    assert count(database, Message) == 0


@pytest.mark.parametrize("safe", [False, True], ids=["plain", "safe"])
def test_wechat_retries_of_one_message_are_stored_once_and_get_the_same_answer(
    wx_client: TestClient,
    wechat: WechatServer,
    make_account: AccountMaker,
    database: Database,
    safe: bool,
) -> None:
    account_id = make_account("safe" if safe else "plain")
    xml = wechat.text(OPENID, "在吗", "24004")
    answers = [
        wechat.read_reply(wechat.push(wx_client, account_id, xml, safe=safe), safe=safe)
        for _ in range(3)
    ]
    assert count(database, Message, Message.sender_type == "customer") == 1
    assert count(database, InboundReceipt) == 1
    # WeChat retries only when it got no response; the customer sees one answer.
    assert answers[0]["Content"] == answers[1]["Content"] == answers[2]["Content"]
    bot_messages = count(database, Message, Message.sender_type == "bot")
    assert len(channel_rows(database)) == bot_messages


def test_voice_uses_the_platform_recognition_as_the_transcript(
    wx_client: TestClient, wechat: WechatServer, make_account: AccountMaker, database: Database
) -> None:
    account_id = make_account()
    with_text = wechat.xml(
        OPENID,
        1795312800,
        MsgType="voice",
        MediaId="V1",
        Format="amr",
        Recognition="我要退款",
        MsgId="24005",
    )
    without = wechat.xml(
        OPENID, 1795312801, MsgType="voice", MediaId="V2", Format="amr", MsgId="24006"
    )
    assert wechat.push(wx_client, account_id, with_text).status_code == 200
    assert wechat.push(wx_client, account_id, without).status_code == 200
    customer = [m.body for m in messages(database) if m.sender_type == "customer"]
    assert customer == ["我要退款", "[语音]"]


def test_an_image_is_downloaded_from_picurl_as_evidence(
    wx_client: TestClient,
    wechat: WechatServer,
    make_account: AccountMaker,
    database: Database,
    api_peer: ApiPeer,
) -> None:
    account_id = make_account()
    xml = wechat.xml(
        OPENID,
        1795312800,
        MsgType="image",
        PicUrl=f"{api_peer.base}/mmbiz_jpg/picture",
        MediaId="MEDIA_1",
        MsgId="24007",
    )
    assert wechat.push(wx_client, account_id, xml).status_code == 200
    [customer] = [m for m in messages(database) if m.sender_type == "customer"]
    assert customer.body == "[图片]"
    assert len(customer.attachment_ids) == 1
    with database.reading() as db:
        attachment = db.get(Attachment, customer.attachment_ids[0])
        db.expunge_all()
    assert attachment is not None and attachment.size > 0


def test_an_image_falls_back_to_the_media_api_and_then_to_its_url(
    wx_client: TestClient,
    wechat: WechatServer,
    make_account: AccountMaker,
    database: Database,
    api_peer: ApiPeer,
) -> None:
    account_id = make_account()
    broken = f"{api_peer.base}/mmbiz_jpg/gone"
    by_media = wechat.xml(
        OPENID, 1795312800, MsgType="image", PicUrl=broken, MediaId="MEDIA_1", MsgId="1"
    )
    lost = wechat.xml(OPENID, 1795312801, MsgType="image", PicUrl=broken, MediaId="NOPE", MsgId="2")
    assert wechat.push(wx_client, account_id, by_media).status_code == 200
    assert wechat.push(wx_client, account_id, lost).status_code == 200
    first, second = [m for m in messages(database) if m.sender_type == "customer"]
    assert len(first.attachment_ids) == 1
    assert "/cgi-bin/media/get" in api_peer.paths()
    assert second.attachment_ids == [] and broken in second.body


def test_subscribe_is_welcomed_and_stores_nothing(
    wx_client: TestClient, wechat: WechatServer, make_account: AccountMaker, database: Database
) -> None:
    account_id = make_account(welcome_text="欢迎来到测试小店")
    xml = wechat.xml(OPENID, 1795312800, MsgType="event", Event="subscribe")
    reply = wechat.read_reply(wechat.push(wx_client, account_id, xml))
    assert reply["Content"] == "欢迎来到测试小店"
    default_account = make_account()
    default = wechat.read_reply(wechat.push(wx_client, default_account, xml))
    assert "欢迎关注" in default["Content"]
    assert count(database, Message) == 0 and count(database, Conversation) == 0


def test_unsubscribe_is_acknowledged_and_stores_nothing(
    wx_client: TestClient, wechat: WechatServer, make_account: AccountMaker, database: Database
) -> None:
    account_id = make_account()
    xml = wechat.xml(OPENID, 1795312800, MsgType="event", Event="unsubscribe")
    response = wechat.push(wx_client, account_id, xml)
    assert (response.status_code, response.text) == (200, "success")
    assert count(database, Message) == 0 and count(database, InboundReceipt) == 0


def test_a_menu_click_is_the_text_the_menu_means_and_its_retries_count_once(
    wx_client: TestClient, wechat: WechatServer, make_account: AccountMaker, database: Database
) -> None:
    account_id = make_account(**{"menu.REFUND_PROGRESS": "退款进度"})
    click = wechat.xml(
        OPENID, 1795312900, MsgType="event", Event="CLICK", EventKey="REFUND_PROGRESS"
    )
    for _ in range(3):
        assert wechat.push(wx_client, account_id, click).status_code == 200
    unmapped = wechat.xml(OPENID, 1795312901, MsgType="event", Event="CLICK", EventKey="人工客服")
    wechat.push(wx_client, account_id, unmapped)
    customer = [m.body for m in messages(database) if m.sender_type == "customer"]
    assert customer == ["退款进度", "人工客服"]
    with database.reading() as db:
        keys = set(db.scalars(select(InboundReceipt.external_msg_id)))
    assert keys == {f"{OPENID}:1795312900:CLICK", f"{OPENID}:1795312901:CLICK"}
