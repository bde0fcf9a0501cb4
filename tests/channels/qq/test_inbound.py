"""QQ inbound over OneBot v11 HTTP POST, answered through the OneBot HTTP API.

The peer (tests/channels/qq/peer.py) speaks OneBot v11 as NapCat and Lagrange
do: events signed with ``X-Signature: sha1=…``, messages in both the CQ-string
and the segment-array formats, the HTTP API guarded by the access token.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.channels.qq.conftest import (
    SELF_ID,
    TOKEN,
    group_event,
    make_qq_account,
    post_event,
    private_event,
    stored_counts,
)
from tests.channels.qq.peer import OneBotPeer, sign
from tests.channels.test_core import PNG
from yiwen.attachments.models import Attachment
from yiwen.channels.models import ChannelAccount
from yiwen.conversations.models import Conversation, Message
from yiwen.core.clock import FixedClock
from yiwen.core.db import Database
from yiwen.core.settings import Settings
from yiwen.customers.models import Identity
from yiwen.notify.models import OutboxEntry
from yiwen.store.connectors.demo.connector import DemoStoreConnector
from yiwen.wiring import build_worker


@dataclass(frozen=True)
class Seen:
    body: str
    conversation_id: str


def customer_messages(database: Database) -> list[Seen]:
    with database.reading() as db:
        rows = db.scalars(
            select(Message).where(Message.sender_type == "customer").order_by(Message.id)
        )
        return [Seen(row.body, row.conversation_id) for row in rows]


def deliver_replies(
    database: Database, settings: Settings, clock: FixedClock, demo: DemoStoreConnector
) -> None:
    build_worker(database, settings, clock, store=lambda: demo, jobs=()).run_until_idle()


def test_a_private_message_reaches_a_conversation_and_the_bot_answers_privately(
    client: TestClient,
    database: Database,
    settings: Settings,
    clock: FixedClock,
    demo: DemoStoreConnector,
    onebot: OneBotPeer,
    qq_account: str,
) -> None:
    response = post_event(client, qq_account, private_event(-2147480001, "在吗？卡密没收到"))
    assert response.status_code == 204, response.text
    [message] = customer_messages(database)
    assert message.body == "在吗？卡密没收到"
    with database.reading() as db:
        conversation = db.get(Conversation, message.conversation_id)
        assert conversation is not None
        assert (conversation.channel, conversation.channel_account_id) == ("qq", qq_account)
        identity = db.scalar(
            select(Identity).where(Identity.customer_id == conversation.customer_id)
        )
        assert identity is not None and identity.external_id == f"{qq_account}:10001"

    deliver_replies(database, settings, clock, demo)
    sends = [call for call in onebot.calls if call.action == "send_private_msg"]
    assert sends, "the bot's answer was not sent"
    assert all(call.authorization == f"Bearer {TOKEN}" for call in sends)
    assert {call.params["user_id"] for call in sends} == {10001}
    segments = sends[0].params["message"]
    assert isinstance(segments, list) and segments[0]["type"] == "text"
    assert segments[0]["data"]["text"].strip()
    with database.reading() as db:
        rows = list(db.scalars(select(OutboxEntry).where(OutboxEntry.kind == "channel")))
        assert rows and {row.status for row in rows} == {"sent"}
        assert {row.recipient for row in rows} == {f"qq:{qq_account}:10001"}


def test_a_group_message_that_ats_the_bot_is_answered_in_the_group_with_an_at(
    client: TestClient,
    database: Database,
    settings: Settings,
    clock: FixedClock,
    demo: DemoStoreConnector,
    onebot: OneBotPeer,
    qq_account: str,
) -> None:
    segments = [
        {"type": "at", "data": {"qq": str(SELF_ID), "name": "店铺客服"}},
        {"type": "text", "data": {"text": " 订单没到账，怎么回事"}},
    ]
    assert post_event(client, qq_account, group_event(501, segments)).status_code == 204
    [message] = customer_messages(database)
    assert message.body == "订单没到账，怎么回事"
    with database.reading() as db:
        external_ids = list(
            db.scalars(select(Identity.external_id).where(Identity.channel == "qq"))
        )
    assert external_ids == [f"{qq_account}:group:20001:10001"]

    deliver_replies(database, settings, clock, demo)
    assert onebot.calls and {call.action for call in onebot.calls} == {"send_group_msg"}
    first = onebot.calls[0].params
    assert first["group_id"] == 20001
    assert first["message"][0] == {"type": "at", "data": {"qq": "10001"}}
    assert any(
        seg["type"] == "text" and seg["data"]["text"].strip() for seg in first["message"][1:]
    )


def test_an_at_in_cq_string_format_is_recognised_and_stripped(
    client: TestClient, database: Database, qq_account: str
) -> None:
    event = group_event(502, f"[CQ:at,qq={SELF_ID}] 退款&#91;急&#93;什么时候到")
    assert post_event(client, qq_account, event).status_code == 204
    [message] = customer_messages(database)
    assert message.body == "退款[急]什么时候到"


def test_group_messages_that_do_not_at_the_bot_are_ignored(
    client: TestClient, database: Database, qq_account: str
) -> None:
    before = stored_counts(database)
    chatter = [
        group_event(601, "大家好，有人在吗"),
        group_event(602, "[CQ:at,qq=10002] 你的卡到了吗"),
        group_event(
            603, [{"type": "at", "data": {"qq": "all"}}, {"type": "text", "data": {"text": "通知"}}]
        ),
    ]
    for event in chatter:
        assert post_event(client, qq_account, event).status_code == 204
    assert stored_counts(database) == before


def test_meta_events_notices_and_requests_are_acknowledged_without_storing(
    client: TestClient, database: Database, qq_account: str
) -> None:
    before = stored_counts(database)
    events: list[dict[str, object]] = [
        {
            "time": 1763776800,
            "self_id": SELF_ID,
            "post_type": "meta_event",
            "meta_event_type": "heartbeat",
            "status": {"online": True, "good": True},
            "interval": 30000,
        },
        {
            "time": 1763776800,
            "self_id": SELF_ID,
            "post_type": "meta_event",
            "meta_event_type": "lifecycle",
            "sub_type": "connect",
        },
        {
            "time": 1763776800,
            "self_id": SELF_ID,
            "post_type": "notice",
            "notice_type": "group_increase",
            "sub_type": "approve",
            "group_id": 20001,
            "operator_id": 0,
            "user_id": 10003,
        },
        {
            "time": 1763776800,
            "self_id": SELF_ID,
            "post_type": "request",
            "request_type": "friend",
            "user_id": 10004,
            "comment": "加个好友",
            "flag": "f1",
        },
        {**private_event(700, "我自己发的"), "user_id": SELF_ID},
    ]
    for event in events:
        response = post_event(client, qq_account, event)
        assert response.status_code == 204
        assert response.content == b""
    assert stored_counts(database) == before


@pytest.mark.parametrize("case", ["wrong_secret", "missing", "tampered", "not_sha1"])
def test_forged_or_missing_signatures_are_refused_and_nothing_is_stored(
    client: TestClient, database: Database, qq_account: str, case: str
) -> None:
    before = stored_counts(database)
    event = private_event(801, "给我退款")
    if case == "wrong_secret":
        response = post_event(client, qq_account, event, secret="guessed-secret")
    elif case == "missing":
        response = post_event(client, qq_account, event, secret=None)
    elif case == "not_sha1":
        body = b'{"post_type":"message"}'
        response = post_event(
            client, qq_account, event, signature=sign("x", body).replace("sha1=", "md5=")
        )
    else:
        genuine = sign("onebot-post-secret", b'{"post_type":"meta_event"}')
        response = post_event(client, qq_account, event, signature=genuine)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "channel_signature_invalid"
    assert response.json()["error"]["message"] == "签名校验失败，消息已拒收"
    assert stored_counts(database) == before


def test_without_a_secret_unsigned_events_are_taken(
    client: TestClient,
    database: Database,
    clock: FixedClock,
    settings: Settings,
    onebot: OneBotPeer,
) -> None:
    account_id = make_qq_account(database, clock, settings, onebot, secret=None)
    assert (
        post_event(client, account_id, private_event(901, "你好"), secret=None).status_code == 204
    )
    assert [m.body for m in customer_messages(database)] == ["你好"]


def test_a_redelivered_event_is_stored_once_and_message_ids_are_scoped_to_the_account(
    client: TestClient,
    database: Database,
    clock: FixedClock,
    settings: Settings,
    onebot: OneBotPeer,
    qq_account: str,
) -> None:
    event = private_event(1001, "卡密无效，显示已被使用")
    for _ in range(3):
        assert post_event(client, qq_account, event).status_code == 204
    assert len(customer_messages(database)) == 1
    other = make_qq_account(database, clock, settings, onebot)
    assert post_event(client, other, event).status_code == 204
    assert len(customer_messages(database)) == 2


def test_an_image_from_an_allowed_host_is_kept_as_evidence(
    client: TestClient, database: Database, onebot: OneBotPeer, qq_account: str
) -> None:
    onebot.images["pay.png"] = PNG
    segments = [
        {"type": "text", "data": {"text": "付款截图"}},
        {
            "type": "image",
            "data": {"file": "pay.png", "url": f"{onebot.url}/images/pay.png", "sub_type": 0},
        },
    ]
    assert post_event(client, qq_account, private_event(1101, segments)).status_code == 204
    [message] = customer_messages(database)
    assert message.body == "付款截图"
    with database.reading() as db:
        [attachment] = db.scalars(select(Attachment))
        assert attachment.conversation_id == message.conversation_id
        assert attachment.content_type == "image/png" and attachment.size == len(PNG)
    assert onebot.image_requests == ["pay.png"]


def test_an_image_from_another_host_or_a_dead_link_leaves_a_note_instead(
    client: TestClient,
    database: Database,
    clock: FixedClock,
    settings: Settings,
    onebot: OneBotPeer,
) -> None:
    account_id = make_qq_account(database, clock, settings, onebot, media_hosts="qpic.cn")
    onebot.images["pay.png"] = PNG
    image = f"[CQ:image,file=pay.png,url={onebot.url}/images/pay.png?a=1&amp;b=2]"
    assert post_event(client, account_id, private_event(1201, image)).status_code == 204
    assert onebot.image_requests == []  # not on the allowed hosts: never fetched

    allowed = make_qq_account(database, clock, settings, onebot)
    gone = f"[CQ:image,file=gone.png,url={onebot.url}/images/gone.png]"
    assert post_event(client, allowed, private_event(1202, gone)).status_code == 204
    assert [m.body for m in customer_messages(database)] == ["[图片未能保存]", "[图片未能保存]"]
    with database.reading() as db:
        assert list(db.scalars(select(Attachment))) == []


def test_unknown_and_disabled_accounts_are_refused_with_json(
    client: TestClient, database: Database, qq_account: str
) -> None:
    response = post_event(client, "no-such-account", private_event(1301, "在吗"))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "channel_account_not_found"
    with database.transaction() as db:
        account = db.get(ChannelAccount, qq_account)
        assert account is not None
        account.enabled = False
    response = post_event(client, qq_account, private_event(1302, "在吗"))
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "channel_account_disabled"


def test_a_body_that_is_not_json_is_a_4xx_not_a_500(
    client: TestClient, database: Database, qq_account: str
) -> None:
    body = b"post_type=message"
    response = client.post(
        f"/channels/qq/{qq_account}",
        content=body,
        headers={"x-signature": sign("onebot-post-secret", body)},
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "channel_payload_invalid"


def test_an_oversized_event_is_refused_before_it_is_read(
    client: TestClient, database: Database, qq_account: str
) -> None:
    before = stored_counts(database)
    body = b'{"post_type":"message","pad":"' + b"x" * (1024 * 1024) + b'"}'
    response = client.post(
        f"/channels/qq/{qq_account}",
        content=body,
        headers={"x-signature": sign("onebot-post-secret", body)},
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    assert stored_counts(database) == before
