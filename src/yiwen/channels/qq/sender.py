"""Replies to QQ through the OneBot v11 HTTP API.

A private chat is answered with ``send_private_msg``; a question asked in a
group (identity ``group:<group id>:<qq>``, see :mod:`yiwen.channels.qq.events`)
is answered in that group with ``send_group_msg``, starting with an @ of the
asker. Messages go out in the array format, so text is never read as CQ
codes; images are sent inline as ``base64://`` (part of the v11 standard),
other files as a note with their name (v11 has no standard file upload).
"""

from __future__ import annotations

import base64
from pathlib import Path

from yiwen.channels.links import as_plain_text
from yiwen.channels.protocol import AccountView, OutboundMessage
from yiwen.channels.qq.events import split_user_key
from yiwen.channels.qq.onebot import OneBotClient
from yiwen.core.clock import Clock
from yiwen.core.db import Database
from yiwen.core.settings import Settings
from yiwen.notify.protocol import PermanentError

IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
Segments = list[dict[str, object]]


class OneBotSender:
    channel = "qq"

    def __init__(self, client: OneBotClient | None = None) -> None:
        self.client = client or OneBotClient()

    def send(
        self,
        account: AccountView,
        external_user_id: str,
        message: OutboundMessage,
        *,
        idempotency_key: str,
    ) -> None:
        group_id, user_id = split_user_key(external_user_id)
        if not user_id.isdigit() or (group_id is not None and not group_id.isdigit()):
            raise PermanentError(f"malformed qq recipient {external_user_id!r}")
        segments = message_segments(message)
        if group_id is None:
            self.client.call(
                account, "send_private_msg", {"user_id": int(user_id), "message": segments}
            )
            return
        mention: Segments = [
            {"type": "at", "data": {"qq": user_id}},
            {"type": "text", "data": {"text": " "}},
        ]
        self.client.call(
            account,
            "send_group_msg",
            {"group_id": int(group_id), "message": mention + segments},
        )


def message_segments(message: OutboundMessage) -> Segments:
    segments: Segments = []
    if message.text:
        segments.append({"type": "text", "data": {"text": as_plain_text(message.text)}})
    for attachment in message.attachments:
        if attachment.content_type in IMAGE_TYPES:
            try:
                data = Path(attachment.path).read_bytes()
            except OSError as exc:
                raise PermanentError(f"attachment {attachment.filename!r} is missing") from exc
            encoded = base64.b64encode(data).decode()
            segments.append({"type": "image", "data": {"file": f"base64://{encoded}"}})
        else:
            segments.append({"type": "text", "data": {"text": f"\n[附件：{attachment.filename}]"}})
    if not segments:
        raise PermanentError("nothing to send")
    return segments


def build_sender(settings: Settings, clock: Clock, database: Database) -> OneBotSender:
    return OneBotSender()
