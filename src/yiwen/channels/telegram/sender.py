"""Replies to Telegram chats: ``sendMessage``, and ``sendPhoto`` / ``sendDocument`` for attachments.

Text longer than Telegram's 4096 characters goes out in several messages. A
single image with a short text is sent as one photo with the text as its
caption (captions hold 1024 characters). Links written ``[title](https://…)``
go in Telegram's HTML mode as ``<a href>``, the rest of the text escaped so
nothing the agent typed is read as markup. The Bot API has no idempotency key:
a delivery retried after a partial failure may repeat its first part.
"""

from __future__ import annotations

from pathlib import Path

from yiwen.channels.links import as_html, find_links
from yiwen.channels.protocol import AccountView, OutboundAttachment, OutboundMessage
from yiwen.channels.telegram.botapi import BotApi
from yiwen.core.clock import Clock
from yiwen.core.db import Database
from yiwen.core.settings import Settings
from yiwen.notify.protocol import PermanentError

MAX_TEXT = 4096
MAX_CAPTION = 1024
# Telegram recompresses photos; other files (GIF, PDF, text) go as documents, unchanged.
PHOTO_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})


class TelegramSender:
    channel = "telegram"

    def __init__(self, api: BotApi | None = None) -> None:
        self.api = api or BotApi()

    def send(
        self,
        account: AccountView,
        external_user_id: str,
        message: OutboundMessage,
        *,
        idempotency_key: str,
    ) -> None:
        if not external_user_id.lstrip("-").isdigit():
            raise PermanentError(f"malformed telegram chat id {external_user_id!r}")
        chat_id = int(external_user_id)
        text = message.text.strip()
        attachments = list(message.attachments)
        caption = ""
        if len(attachments) == 1 and len(text) <= MAX_CAPTION:
            caption, text = text, ""
        for chunk in split_text(text):
            self.api.call(account, "sendMessage", {"chat_id": chat_id, **_formatted("text", chunk)})
        for attachment in attachments:
            self._send_file(account, chat_id, attachment, caption)
        if not text and not attachments:
            raise PermanentError("nothing to send")

    def _send_file(
        self, account: AccountView, chat_id: int, attachment: OutboundAttachment, caption: str
    ) -> None:
        try:
            data = Path(attachment.path).read_bytes()
        except OSError as exc:
            raise PermanentError(f"attachment {attachment.filename!r} is missing") from exc
        method, field = (
            ("sendPhoto", "photo")
            if attachment.content_type in PHOTO_TYPES
            else ("sendDocument", "document")
        )
        params: dict[str, object] = {"chat_id": chat_id}
        if caption:
            params.update(_formatted("caption", caption))
        upload = (attachment.filename, data, attachment.content_type)
        self.api.call(account, method, params, files={field: upload})


def _formatted(field: str, text: str) -> dict[str, object]:
    """Plain text as it is; text with links in Telegram's HTML mode, everything else escaped."""
    if not find_links(text):
        return {field: text}
    return {
        field: as_html(text),
        "parse_mode": "HTML",
        "link_preview_options": {"is_disabled": True},
    }


def split_text(text: str) -> list[str]:
    """Pieces of at most 4096 characters, cut at a line break where there is one."""
    pieces: list[str] = []
    while len(text) > MAX_TEXT:
        cut = text.rfind("\n", 0, MAX_TEXT)
        cut = cut if cut > 0 else MAX_TEXT
        pieces.append(text[:cut])
        text = text[cut:].lstrip("\n")
    if text:
        pieces.append(text)
    return pieces


def build_sender(settings: Settings, clock: Clock, database: Database) -> TelegramSender:
    return TelegramSender()
