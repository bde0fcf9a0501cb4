"""Telegram replies: sendMessage / sendPhoto / sendDocument, rate limits and blocked bots.

The peer answers as the Bot API does: ``429`` with ``parameters.retry_after``
when flooding, ``403 Forbidden: bot was blocked by the user`` once a customer
blocked the bot, ``401 Unauthorized`` for a wrong token.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.channels.telegram.conftest import BOT_TOKEN, CHAT_ID, message_update, post_update
from tests.channels.telegram.peer import TelegramPeer
from tests.channels.test_core import PNG
from yiwen.channels.protocol import AccountView, OutboundAttachment, OutboundMessage
from yiwen.channels.telegram.sender import MAX_TEXT, TelegramSender
from yiwen.core.clock import FixedClock
from yiwen.core.db import Database
from yiwen.core.settings import Settings
from yiwen.notify.models import OutboxEntry
from yiwen.notify.protocol import PermanentError, RetriableError
from yiwen.store.connectors.demo.connector import DemoStoreConnector
from yiwen.wiring import build_worker

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def view(peer: TelegramPeer, token: str = BOT_TOKEN) -> AccountView:
    return AccountView(
        id="bot1",
        channel="telegram",
        name="bot",
        config={"api_base": peer.url},
        secrets={"bot_token": token, "webhook_secret": "s"},
    )


def send(account: AccountView, message: OutboundMessage, chat: str = str(CHAT_ID)) -> None:
    TelegramSender().send(account, chat, message, idempotency_key="k1")


def channel_rows(database: Database) -> list[tuple[str, int, str | None, object]]:
    with database.reading() as db:
        return [
            (row.status, row.attempts, row.last_error, row.next_attempt_at)
            for row in db.scalars(
                select(OutboxEntry)
                .where(OutboxEntry.kind == "channel")
                .order_by(OutboxEntry.created_at)
            )
        ]


def test_a_photo_attachment_is_uploaded_with_send_photo_and_the_text_as_caption(
    telegram: TelegramPeer, tmp_path: Path
) -> None:
    picture = tmp_path / "key.png"
    picture.write_bytes(PNG)
    attachment = OutboundAttachment("补发卡密.png", "image/png", str(picture))
    send(view(telegram), OutboundMessage("这是补发的卡密截图", (attachment,)))
    [call] = telegram.calls
    assert call.method == "sendPhoto"
    assert call.params == {"chat_id": str(CHAT_ID), "caption": "这是补发的卡密截图"}
    upload = call.uploads["photo"]
    assert (upload.filename, upload.content_type, upload.data) == ("补发卡密.png", "image/png", PNG)


def test_other_files_go_as_documents_after_the_text(telegram: TelegramPeer, tmp_path: Path) -> None:
    pdf = tmp_path / "refund.pdf"
    pdf.write_bytes(PDF)
    picture = tmp_path / "a.png"
    picture.write_bytes(PNG)
    attachments = (
        OutboundAttachment("退款凭证.pdf", "application/pdf", str(pdf)),
        OutboundAttachment("a.png", "image/png", str(picture)),
    )
    send(view(telegram), OutboundMessage("退款已原路退回", attachments))
    assert [call.method for call in telegram.calls] == ["sendMessage", "sendDocument", "sendPhoto"]
    assert telegram.calls[1].uploads["document"].data == PDF


def test_text_longer_than_telegram_allows_is_sent_in_pieces(telegram: TelegramPeer) -> None:
    text = ("第一段说明。\n" * 700).strip()
    send(view(telegram), OutboundMessage(text))
    pieces = [str(call.params["text"]) for call in telegram.calls]
    assert len(pieces) >= 2 and all(len(piece) <= MAX_TEXT for piece in pieces)
    assert "\n".join(pieces) == text


def test_errors_map_to_retriable_or_permanent(telegram: TelegramPeer) -> None:
    telegram.fail_next("sendMessage", 429, "Too Many Requests: retry after 17", retry_after=17)
    with pytest.raises(RetriableError) as limited:
        send(view(telegram), OutboundMessage("您好"))
    assert limited.value.delay == 17
    telegram.fail_next("sendMessage", 403, "Forbidden: bot was blocked by the user")
    with pytest.raises(PermanentError, match="customer blocked the bot"):
        send(view(telegram), OutboundMessage("您好"))
    telegram.fail_next("sendMessage", 400, "Bad Request: chat not found")
    with pytest.raises(PermanentError, match="chat not found"):
        send(view(telegram), OutboundMessage("您好"))
    telegram.fail_next("sendMessage", 502, "Bad Gateway")
    with pytest.raises(RetriableError):
        send(view(telegram), OutboundMessage("您好"))
    with pytest.raises(PermanentError, match="token"):
        send(view(telegram, token="1:wrong"), OutboundMessage("您好"))
    with pytest.raises(PermanentError, match="malformed"):
        send(view(telegram), OutboundMessage("您好"), chat="not-a-chat")


def test_the_worker_honours_retry_after_then_delivers(
    client: TestClient,
    database: Database,
    settings: Settings,
    clock: FixedClock,
    demo: DemoStoreConnector,
    telegram: TelegramPeer,
    bot_account: str,
) -> None:
    assert (
        post_update(client, bot_account, message_update(910001, 61, text="在吗")).status_code == 200
    )
    for _ in range(10):
        telegram.fail_next("sendMessage", 429, "Too Many Requests: retry after 30", retry_after=30)
    worker = build_worker(database, settings, clock, store=lambda: demo, jobs=())
    worker.run_until_idle()
    rows = channel_rows(database)
    assert rows and all(status == "failed" for status, *_ in rows)
    assert all(due == clock.now() + timedelta(seconds=30) for *_, due in rows)
    assert all("429" in (error or "") for _, _, error, _ in rows)

    telegram.scripted.clear()
    sent_before = len(telegram.calls)
    clock.advance(timedelta(seconds=29))
    worker.run_until_idle()
    assert len(telegram.calls) == sent_before  # not due yet: Telegram asked for 30 s
    assert all(status == "failed" for status, *_ in channel_rows(database))
    clock.advance(timedelta(seconds=2))
    worker.run_until_idle()
    assert len(telegram.calls) > sent_before
    assert {status for status, *_ in channel_rows(database)} == {"sent"}


def test_a_customer_who_blocked_the_bot_is_dead_lettered_with_a_clear_reason(
    client: TestClient,
    database: Database,
    settings: Settings,
    clock: FixedClock,
    demo: DemoStoreConnector,
    telegram: TelegramPeer,
    bot_account: str,
) -> None:
    assert (
        post_update(client, bot_account, message_update(910002, 62, text="你好")).status_code == 200
    )
    for _ in range(10):
        telegram.fail_next("sendMessage", 403, "Forbidden: bot was blocked by the user")
    build_worker(database, settings, clock, store=lambda: demo, jobs=()).run_until_idle()
    rows = channel_rows(database)
    assert rows and all(status == "dead" and attempts == 1 for status, attempts, _, _ in rows)
    assert all("customer blocked the bot" in (error or "") for _, _, error, _ in rows)


def test_a_link_goes_in_html_mode_with_the_rest_of_the_text_escaped(telegram: TelegramPeer) -> None:
    send(
        view(telegram),
        OutboundMessage("<b>注意</b> 兑换方法见 [教程 & 说明](https://shop.example.com/h?a=1&b=2)"),
    )
    [call] = telegram.calls
    assert call.params["parse_mode"] == "HTML"
    assert call.params["text"] == (
        "&lt;b&gt;注意&lt;/b&gt; 兑换方法见 "
        '<a href="https://shop.example.com/h?a=1&amp;b=2">教程 &amp; 说明</a>'
    )


def test_text_without_links_is_sent_as_plain_text(telegram: TelegramPeer) -> None:
    send(view(telegram), OutboundMessage("<b>原样</b> [不是链接](javascript:alert(1))"))
    [call] = telegram.calls
    assert call.params == {
        "chat_id": CHAT_ID,
        "text": "<b>原样</b> [不是链接](javascript:alert(1))",
    }
