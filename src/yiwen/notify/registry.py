"""The only place that names concrete notifiers; imported by the wiring alone.

A notifier whose settings are missing (no SMTP host, no SMS gateway) is left
out, and the rules queue nothing for its kind (see :func:`enabled_kinds`).
"""

from __future__ import annotations

from collections.abc import Mapping

from yiwen.core.clock import Clock
from yiwen.core.db import Database
from yiwen.core.settings import Settings
from yiwen.notify.notifiers.channel import ChannelNotifier
from yiwen.notify.notifiers.email import EmailNotifier
from yiwen.notify.notifiers.sms import SmsGatewayNotifier
from yiwen.notify.notifiers.webhook import WebhookNotifier
from yiwen.notify.protocol import ChannelAdapter, Notifier

# Channel adapters (channels issue) register here by channel name.
CHANNEL_ADAPTERS: dict[str, ChannelAdapter] = {}


def build_notifiers(
    settings: Settings,
    clock: Clock,
    database: Database,
    channel_adapters: Mapping[str, ChannelAdapter] | None = None,
) -> dict[str, Notifier]:
    notifiers: dict[str, Notifier] = {
        "webhook": WebhookNotifier(settings, clock, database),
        "channel": ChannelNotifier(
            CHANNEL_ADAPTERS if channel_adapters is None else channel_adapters
        ),
    }
    if settings.smtp_host:
        notifiers["email"] = EmailNotifier(settings, clock)
    if settings.sms_gateway_url:
        notifiers["sms"] = SmsGatewayNotifier(settings, clock)
    return notifiers
