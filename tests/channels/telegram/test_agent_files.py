"""An agent's reply with a screenshot reaches a Telegram chat as a photo, through the outbox."""

from __future__ import annotations

import io

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.channels.telegram.conftest import message_update, post_update
from tests.channels.telegram.peer import TelegramPeer
from tests.channels.test_core import PNG
from yiwen.attachments.service import FileStore, store_attachment
from yiwen.channels.models import InboundReceipt
from yiwen.conversations.models import Conversation
from yiwen.conversations.service import post_staff_message
from yiwen.core.clock import FixedClock
from yiwen.core.db import Database
from yiwen.core.settings import Settings
from yiwen.store.connectors.demo.connector import DemoStoreConnector
from yiwen.wiring import build_worker


def test_an_agent_reply_with_an_image_is_sent_as_a_photo_with_its_text(
    client: TestClient,
    database: Database,
    settings: Settings,
    clock: FixedClock,
    demo: DemoStoreConnector,
    telegram: TelegramPeer,
    bot_account: str,
) -> None:
    assert (
        post_update(client, bot_account, message_update(920001, 71, text="在吗")).status_code == 200
    )
    with database.transaction() as db:
        conversation_id = db.scalar(select(InboundReceipt.conversation_id))
        conversation = db.get(Conversation, conversation_id)
        assert conversation is not None
        shot = store_attachment(
            db,
            clock,
            FileStore(settings.upload_dir),
            io.BytesIO(PNG),
            filename="补发截图.png",
            limit=settings.upload_max_bytes,
            customer_id=conversation.customer_id,
            uploaded_by_type="staff",
            uploaded_by_id="agent-1",
            conversation_id=conversation.id,
        )
        post_staff_message(
            db,
            clock,
            conversation,
            sender_type="agent",
            sender_id=None,
            sender_name="小一",
            body="已为您补发，见截图",
            max_chars=settings.message_max_chars,
            attachment_ids=[shot.id],
        )
    telegram.calls.clear()
    build_worker(database, settings, clock, store=lambda: demo, jobs=()).run_until_idle()
    photos = [call for call in telegram.calls if call.method == "sendPhoto"]
    assert len(photos) == 1
    assert "已为您补发" in str(photos[0].params.get("caption"))
    assert [upload.data for upload in photos[0].uploads.values()] == [PNG]
