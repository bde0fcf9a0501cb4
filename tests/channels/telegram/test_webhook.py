"""Telegram updates by webhook, answered through the Bot API.

The peer (tests/channels/telegram/peer.py) answers as api.telegram.org does,
including ``getFile`` and the file download URL; updates are shaped as
Telegram posts them, with the ``X-Telegram-Bot-Api-Secret-Token`` header.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.channels.qq.conftest import stored_counts
from tests.channels.telegram.conftest import (
    CHAT_ID,
    DATE,
    make_bot_account,
    message_update,
    post_update,
)
from tests.channels.telegram.peer import TelegramPeer
from tests.channels.test_core import PNG
from yiwen.attachments.models import Attachment
from yiwen.conversations.models import Conversation, Message
from yiwen.core.clock import FixedClock
from yiwen.core.db import Database
from yiwen.core.settings import Settings
from yiwen.customers.models import Identity
from yiwen.notify.models import OutboxEntry
from yiwen.store.connectors.demo.connector import DemoStoreConnector
from yiwen.wiring import build_worker

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@dataclass(frozen=True)
class Seen:
    body: str
    conversation_id: str
    attachment_ids: tuple[str, ...]


def customer_messages(database: Database) -> list[Seen]:
    with database.reading() as db:
        rows = db.scalars(
            select(Message).where(Message.sender_type == "customer").order_by(Message.id)
        )
        return [
            Seen(row.body, row.conversation_id, tuple(row.attachment_ids or ())) for row in rows
        ]


def test_a_text_message_reaches_a_conversation_and_the_bot_answers_with_send_message(
    client: TestClient,
    database: Database,
    settings: Settings,
    clock: FixedClock,
    demo: DemoStoreConnector,
    telegram: TelegramPeer,
    bot_account: str,
) -> None:
    response = post_update(client, bot_account, message_update(900001, 41, text="你好，卡密没收到"))
    assert response.status_code == 200, response.text
    [message] = customer_messages(database)
    assert message.body == "你好，卡密没收到"
    with database.reading() as db:
        conversation = db.get(Conversation, message.conversation_id)
        assert conversation is not None
        assert (conversation.channel, conversation.channel_account_id) == ("telegram", bot_account)
        identity = db.scalar(
            select(Identity).where(Identity.customer_id == conversation.customer_id)
        )
        assert identity is not None and identity.external_id == f"{bot_account}:{CHAT_ID}"

    build_worker(database, settings, clock, store=lambda: demo, jobs=()).run_until_idle()
    sends = [call for call in telegram.calls if call.method == "sendMessage"]
    assert sends, "the bot's answer was not sent"
    assert {call.params["chat_id"] for call in sends} == {CHAT_ID}
    assert all(str(call.params["text"]).strip() for call in sends)
    with database.reading() as db:
        rows = list(db.scalars(select(OutboxEntry).where(OutboxEntry.kind == "channel")))
        assert rows and {row.status for row in rows} == {"sent"}


@pytest.mark.parametrize("secret", [None, "guessed", "tg-webhook-secret_012345678"])
def test_a_missing_or_wrong_secret_token_is_refused_and_nothing_is_stored(
    client: TestClient, database: Database, bot_account: str, secret: str | None
) -> None:
    before = stored_counts(database)
    response = post_update(
        client, bot_account, message_update(900002, 42, text="退款"), secret=secret
    )
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "channel_signature_invalid"
    assert stored_counts(database) == before


def test_an_account_without_a_webhook_secret_takes_no_updates(
    client: TestClient,
    database: Database,
    clock: FixedClock,
    settings: Settings,
    telegram: TelegramPeer,
) -> None:
    account_id = make_bot_account(database, clock, settings, telegram, webhook_secret=None)
    before = stored_counts(database)
    response = post_update(client, account_id, message_update(900003, 43, text="你好"), secret="")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "channel_config_missing"
    assert stored_counts(database) == before


def test_a_redelivered_update_is_stored_once(
    client: TestClient, database: Database, bot_account: str
) -> None:
    update = message_update(900004, 44, text="订单 D20261122001 没到账")
    for _ in range(3):
        assert post_update(client, bot_account, update).status_code == 200
    assert [m.body for m in customer_messages(database)] == ["订单 D20261122001 没到账"]


def test_the_largest_photo_size_is_fetched_and_kept_as_evidence_with_its_caption(
    client: TestClient, database: Database, telegram: TelegramPeer, bot_account: str
) -> None:
    telegram.add_file("AgACAgUAAxkBAAIBLarge", "photos/file_7.png", PNG)
    photo = [
        {
            "file_id": "AgACAgUAAxkBAAIBSmall",
            "file_unique_id": "AQADs",
            "file_size": 1093,
            "width": 90,
            "height": 67,
        },
        {
            "file_id": "AgACAgUAAxkBAAIBLarge",
            "file_unique_id": "AQADl",
            "file_size": 48127,
            "width": 1280,
            "height": 960,
        },
        {
            "file_id": "AgACAgUAAxkBAAIBMid",
            "file_unique_id": "AQADm",
            "file_size": 15830,
            "width": 320,
            "height": 240,
        },
    ]
    update = message_update(900005, 45, photo=photo, caption="付款截图")
    assert post_update(client, bot_account, update).status_code == 200
    assert [call.params for call in telegram.calls if call.method == "getFile"] == [
        {"file_id": "AgACAgUAAxkBAAIBLarge"}
    ]
    assert telegram.downloads == ["photos/file_7.png"]
    [message] = customer_messages(database)
    assert message.body == "付款截图"
    with database.reading() as db:
        [attachment] = db.scalars(select(Attachment))
        assert attachment.id in message.attachment_ids
        assert (attachment.content_type, attachment.size) == ("image/png", len(PNG))
        assert attachment.conversation_id == message.conversation_id


def test_a_document_is_kept_and_a_sticker_becomes_text(
    client: TestClient, database: Database, telegram: TelegramPeer, bot_account: str
) -> None:
    telegram.add_file("BQACAgUAAxkBAAIBDoc", "documents/file_3.pdf", PDF)
    document = {
        "file_name": "充值凭证.pdf",
        "mime_type": "application/pdf",
        "file_id": "BQACAgUAAxkBAAIBDoc",
        "file_unique_id": "AgADd",
        "file_size": len(PDF),
    }
    sticker = {
        "width": 512,
        "height": 512,
        "emoji": "😭",
        "set_name": "Cats",
        "is_animated": False,
        "is_video": False,
        "type": "regular",
        "file_id": "CAACAgIAAxkBAAIBSt",
        "file_unique_id": "AgADs",
    }
    assert (
        post_update(client, bot_account, message_update(900006, 46, document=document)).status_code
        == 200
    )
    assert (
        post_update(client, bot_account, message_update(900007, 47, sticker=sticker)).status_code
        == 200
    )
    first, second = customer_messages(database)
    assert first.body == "[文件] 充值凭证.pdf" and len(first.attachment_ids) == 1
    assert second.body == "[表情]😭" and second.attachment_ids == ()


def test_a_file_that_cannot_be_downloaded_leaves_a_note(
    client: TestClient, database: Database, telegram: TelegramPeer, bot_account: str
) -> None:
    photo = [
        {
            "file_id": "AgACExpired",
            "file_unique_id": "x",
            "file_size": 900,
            "width": 90,
            "height": 90,
        }
    ]
    assert (
        post_update(client, bot_account, message_update(900008, 48, photo=photo)).status_code == 200
    )
    assert [m.body for m in customer_messages(database)] == ["[文件未能保存]"]


def test_an_edited_message_is_stored_as_a_new_marked_message(
    client: TestClient, database: Database, bot_account: str
) -> None:
    assert (
        post_update(client, bot_account, message_update(900009, 49, text="订单 D1")).status_code
        == 200
    )
    edited = message_update(900010, 49, text="订单 D20261122009", edit_date=DATE + 60)
    edited["edited_message"] = edited.pop("message")
    assert post_update(client, bot_account, edited).status_code == 200
    assert post_update(client, bot_account, edited).status_code == 200
    assert [m.body for m in customer_messages(database)] == [
        "订单 D1",
        "[已编辑] 订单 D20261122009",
    ]


def test_groups_bots_and_other_update_kinds_are_acknowledged_and_ignored(
    client: TestClient, database: Database, bot_account: str
) -> None:
    before = stored_counts(database)
    group = message_update(900011, 50, text="@shop_bot 在吗")
    group["message"]["chat"] = {"id": -1001234567890, "title": "买家群", "type": "supergroup"}  # type: ignore[index]
    from_bot = message_update(900012, 51, text="hi")
    from_bot["message"]["from"]["is_bot"] = True  # type: ignore[index]
    callback = {
        "update_id": 900013,
        "callback_query": {"id": "1", "from": {"id": CHAT_ID}, "data": "x"},
    }
    for update in (group, from_bot, callback):
        assert post_update(client, bot_account, update).status_code == 200
    assert stored_counts(database) == before


def test_a_malformed_update_is_a_4xx_not_a_500(client: TestClient, bot_account: str) -> None:
    response = post_update(client, bot_account, {"message": {"text": "no update id"}})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "channel_payload_invalid"
