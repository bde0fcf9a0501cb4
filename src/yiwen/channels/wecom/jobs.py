"""The WeCom channel's periodic job: session changes, a sync per account, pending downloads.

Callbacks make Yiwen sync at once; the job syncs every enabled account
anyway (kf/sync_msg without a callback token, which WeCom allows at a lower
rate), so messages whose callback was lost still arrive. The cursor is the
same one the callbacks move, so nothing is fetched twice. It runs outside any
job transaction: every API call happens between short commits.
"""

from __future__ import annotations

import logging

from yiwen.channels.accounts import list_accounts
from yiwen.channels.wechat.apicall import TencentApi
from yiwen.channels.wechat.tokens import shared_cache
from yiwen.channels.wecom.client import WecomApi
from yiwen.channels.wecom.media import fetch_pending_media
from yiwen.channels.wecom.sessions import apply_session_changes
from yiwen.channels.wecom.sync import CHANNEL, sync_account
from yiwen.core.clock import Clock
from yiwen.core.db import Database
from yiwen.core.settings import Settings
from yiwen.notify.protocol import DeliveryError
from yiwen.store.protocol import StoreConnector
from yiwen.worker.jobs import own_transactions

log = logging.getLogger("yiwen.channels.wecom")


@own_transactions
def run_wecom(database: Database, clock: Clock, store: StoreConnector) -> int:
    """One round for every enabled WeCom account; returns the messages stored."""
    settings = database.context.get("settings")
    assert isinstance(settings, Settings)
    api = WecomApi(TencentApi(shared_cache(clock)))
    try:
        return run_round(database, clock, settings, api)
    finally:
        api.api.close()


def run_round(database: Database, clock: Clock, settings: Settings, api: WecomApi) -> int:
    apply_session_changes(database, clock, settings, api)
    with database.reading() as db:
        account_ids = [a.id for a in list_accounts(db, CHANNEL) if a.enabled]
    stored = 0
    for account_id in account_ids:
        try:
            stored += sync_account(database, clock, settings, api, account_id).stored
        except DeliveryError as exc:
            log.warning("WeCom sync of %s stopped: %s", account_id, exc.reason)
    fetch_pending_media(database, clock, settings, api)
    return stored
