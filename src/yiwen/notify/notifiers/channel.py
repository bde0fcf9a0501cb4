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
        adapter.push_text(
            external_id,
            str(delivery.payload.get("text", "")),
            idempotency_key=delivery.idempotency_key,
        )
