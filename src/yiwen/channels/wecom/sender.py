"""Replies to WeCom customers by kf/send_msg, from the outbox worker.

WeCom deduplicates by the ``msgid`` Yiwen derives from the delivery's
idempotency key (one per part), so a delivery retried after a crash is not
shown twice. Pictures (JPG/PNG up to 10 MB) go as image messages, other files
(up to 20 MB) as file messages, both uploaded first as temporary media whose
ids are reused for three days; links go as their title and URL. WeCom
enforces its own 48-hour / five-messages rule and answers with an errcode,
which dead-letters the delivery with that errcode as the reason.
"""

from __future__ import annotations

from yiwen.channels.links import as_plain_text
from yiwen.channels.media import (
    MediaRefused,
    MediaRule,
    OutboundFile,
    fits,
    media_id_for,
    read_attachment,
    send_media,
)
from yiwen.channels.protocol import AccountView, OutboundMessage
from yiwen.channels.wechat.apicall import TencentApi
from yiwen.channels.wechat.sender import split_text
from yiwen.channels.wechat.tokens import shared_cache
from yiwen.channels.wecom.client import WecomApi
from yiwen.core.clock import Clock
from yiwen.core.db import Database
from yiwen.core.i18n import translate
from yiwen.core.settings import Settings

IMAGE = MediaRule("image", 10 * 1024 * 1024, frozenset({"image/jpeg", "image/png"}))
FILE = MediaRule("file", 20 * 1024 * 1024, None)


class WecomSender:
    channel = "wecom"

    def __init__(self, clock: Clock, database: Database) -> None:
        self.clock = clock
        self.database = database
        self.api = WecomApi(TencentApi(shared_cache(clock)))

    def send(
        self,
        account: AccountView,
        external_user_id: str,
        message: OutboundMessage,
        *,
        idempotency_key: str,
    ) -> None:
        # Files are uploaded before any part is sent: a failed upload retries the delivery
        # with nothing shown yet (the msgids would drop repeats anyway).
        files, notes = self._prepare_files(account, message)
        text = "\n".join(part for part in (as_plain_text(message.text).strip(), *notes) if part)
        for index, part in enumerate(split_text(text) if text else []):
            key = idempotency_key if index == 0 else f"{idempotency_key}:{index}"
            self.api.send_text(account, external_user_id, part, idempotency_key=key)
        for index, (rule, file) in enumerate(files):
            key = f"{idempotency_key}:file:{index}"
            self._send_file(account, external_user_id, rule, file, key)

    def _send_file(
        self, account: AccountView, user: str, rule: MediaRule, file: OutboundFile, key: str
    ) -> None:
        send_media(
            self.database,
            self.clock,
            account.id,
            file,
            rule.media_type,
            lambda: self.api.upload_media(account, rule.media_type, file),
            lambda media_id: self.api.send_media(
                account, user, rule.media_type, media_id, idempotency_key=key
            ),
        )

    def _upload(self, account: AccountView, rule: MediaRule, file: OutboundFile) -> str:
        return media_id_for(
            self.database,
            self.clock,
            account.id,
            file,
            rule.media_type,
            lambda: self.api.upload_media(account, rule.media_type, file),
        )

    def _prepare_files(
        self, account: AccountView, message: OutboundMessage
    ) -> tuple[list[tuple[MediaRule, OutboundFile]], list[str]]:
        files: list[tuple[MediaRule, OutboundFile]] = []
        notes: list[str] = []
        for attachment in message.attachments:
            file = read_attachment(attachment)
            rule = IMAGE if fits(IMAGE, file) else FILE
            if not fits(rule, file):
                notes.append(translate("channel_file_not_sent", name=file.filename))
                continue
            try:
                self._upload(account, rule, file)
            except MediaRefused:
                notes.append(translate("channel_file_not_sent", name=file.filename))
                continue
            files.append((rule, file))
        return files, notes

    def close(self) -> None:
        self.api.api.close()


def build_sender(settings: Settings, clock: Clock, database: Database) -> WecomSender:
    return WecomSender(clock, database)
