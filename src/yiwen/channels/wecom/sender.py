"""Replies to WeCom customers by kf/send_msg, from the outbox worker.

WeCom deduplicates by the ``msgid`` Yiwen derives from the delivery's
idempotency key, so a delivery retried after a crash is not shown twice.
WeCom enforces its own 48-hour / five-messages rule and answers with an
errcode, which dead-letters the delivery with that errcode as the reason.
"""

from __future__ import annotations

from yiwen.channels.protocol import AccountView, OutboundMessage
from yiwen.channels.wechat.apicall import TencentApi
from yiwen.channels.wechat.sender import split_text
from yiwen.channels.wechat.tokens import shared_cache
from yiwen.channels.wecom.client import WecomApi
from yiwen.core.clock import Clock
from yiwen.core.db import Database
from yiwen.core.settings import Settings


class WecomSender:
    channel = "wecom"

    def __init__(self, clock: Clock) -> None:
        self.api = WecomApi(TencentApi(shared_cache(clock)))

    def send(
        self,
        account: AccountView,
        external_user_id: str,
        message: OutboundMessage,
        *,
        idempotency_key: str,
    ) -> None:
        for index, part in enumerate(split_text(message.text)):
            key = idempotency_key if index == 0 else f"{idempotency_key}:{index}"
            self.api.send_text(account, external_user_id, part, idempotency_key=key)

    def close(self) -> None:
        self.api.api.close()


def build_sender(settings: Settings, clock: Clock, database: Database) -> WecomSender:
    return WecomSender(clock)
