"""Pushes to the customer's own channel (WeChat, QQ, Telegram…) through its adapter.

Recipients read ``"<channel>:<external id>"`` (the customer's identity on that
channel). The web widget needs no push: its WebSocket already carries every
public message and ticket event, so the rules queue nothing for it.
"""

from __future__ import annotations

from collections.abc import Mapping

from yiwen.notify.protocol import ChannelAdapter, Delivery, PermanentError


class ChannelNotifier:
    kind = "channel"

    def __init__(self, adapters: Mapping[str, ChannelAdapter]) -> None:
        self.adapters = dict(adapters)

    def deliver(self, delivery: Delivery) -> None:
        channel, _, external_id = delivery.recipient.partition(":")
        adapter = self.adapters.get(channel)
        if adapter is None or not external_id:
            raise PermanentError(f"no adapter for channel {channel!r}")
        text = str(delivery.payload.get("text", ""))
        attachment_ids = delivery.payload.get("attachment_ids")
        push_files = getattr(adapter, "push_with_attachments", None)
        if isinstance(attachment_ids, list) and attachment_ids and push_files is not None:
            push_files(
                external_id,
                text,
                [str(i) for i in attachment_ids],
                idempotency_key=delivery.idempotency_key,
            )
            return
        adapter.push_text(external_id, text, idempotency_key=delivery.idempotency_key)
