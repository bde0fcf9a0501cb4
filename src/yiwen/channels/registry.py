"""The only place that names concrete channel senders; used by the wiring alone.

Each adapter package registers its sender here by import path, so building the
worker imports only what is listed, and a missing optional dependency fails at
start with a clear message rather than at the first reply.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable

from yiwen.channels.outbound import AccountDispatcher
from yiwen.channels.protocol import ChannelSender
from yiwen.core.clock import Clock
from yiwen.core.db import Database
from yiwen.core.settings import Settings

# channel -> "module:factory"; factory(settings, clock) -> ChannelSender, or
# factory(settings, clock, database) for a sender that needs the app's database.
SENDERS: dict[str, str] = {
    "qq": "yiwen.channels.qq.sender:build_sender",
    "telegram": "yiwen.channels.telegram.sender:build_sender",
    "wechat": "yiwen.channels.wechat.sender:build_sender",
    "wecom": "yiwen.channels.wecom.sender:build_sender",
    "email": "yiwen.channels.email.sender:build_sender",
}


def load_sender(
    path: str, settings: Settings, clock: Clock, database: Database | None = None
) -> ChannelSender:
    module_name, _, attribute = path.partition(":")
    factory: Callable[..., ChannelSender] = getattr(importlib.import_module(module_name), attribute)
    if database is not None and "database" in inspect.signature(factory).parameters:
        return factory(settings, clock, database=database)
    return factory(settings, clock)


def build_dispatchers(
    database: Database, settings: Settings, clock: Clock
) -> dict[str, AccountDispatcher]:
    """One dispatcher per channel with a sender, keyed as the notify registry expects."""
    return {
        channel: AccountDispatcher(
            channel, load_sender(path, settings, clock, database), database, settings
        )
        for channel, path in SENDERS.items()
    }
