"""The only place that names concrete channel senders; used by the wiring alone.

Each adapter package registers its sender here by import path, so building the
worker imports only what is listed, and a missing optional dependency fails at
start with a clear message rather than at the first reply.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from yiwen.channels.outbound import AccountDispatcher
from yiwen.channels.protocol import ChannelSender
from yiwen.core.clock import Clock
from yiwen.core.db import Database
from yiwen.core.settings import Settings

# channel -> "module:factory"; factory(settings, clock, database) -> ChannelSender, the
# database being the app's own (on SQLite its writer lock is shared with every request).
SENDERS: dict[str, str] = {
    "qq": "yiwen.channels.qq.sender:build_sender",
    "telegram": "yiwen.channels.telegram.sender:build_sender",
    "wechat": "yiwen.channels.wechat.sender:build_sender",
    "wecom": "yiwen.channels.wecom.sender:build_sender",
    "email": "yiwen.channels.email.sender:build_sender",
}


def load_sender(path: str, settings: Settings, clock: Clock, database: Database) -> ChannelSender:
    module_name, _, attribute = path.partition(":")
    factory: Callable[[Settings, Clock, Database], ChannelSender] = getattr(
        importlib.import_module(module_name), attribute
    )
    return factory(settings, clock, database)


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
