"""Reading WeCom customer-service messages with kf/sync_msg, the cursor kept in the database.

Each page is stored in one transaction together with the cursor that follows
it, so a crash between pages resumes after the last committed page: nothing
is lost, and nothing is fetched twice (a message seen again anyway, say by
two callbacks racing, is a duplicate receipt and stores nothing). The page is
fetched outside any transaction; if the cursor moved meanwhile (another
process synced), the page is dropped and reading resumes from the new cursor.
A customer's image, voice or file is stored as its text first and downloaded
after the commit (see :mod:`.media`).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from sqlalchemy.orm import Session

from yiwen.channels.accounts import account_view, get_enabled_account
from yiwen.channels.cursors import get_cursor, set_cursor
from yiwen.channels.inbound import receive
from yiwen.channels.protocol import AccountView
from yiwen.channels.wecom.client import SyncPage, WecomApi
from yiwen.channels.wecom.media import fetch_pending_media, media_of, queue_media_fetch
from yiwen.channels.wecom.payload import inbound_of
from yiwen.core.clock import Clock
from yiwen.core.db import Database
from yiwen.core.settings import Settings

CHANNEL = "wecom"
CURSOR = "sync_msg"
# A bound on one sync, so a platform that always says has_more cannot hold a thread forever.
MAX_PAGES = 100

_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


@dataclass
class SyncResult:
    pages: int = 0
    stored: int = 0
    duplicates: int = 0
    skipped: int = 0
    media: int = 0


def sync_account(
    database: Database,
    clock: Clock,
    settings: Settings,
    api: WecomApi,
    account_id: str,
    token: str = "",
) -> SyncResult:
    """Read every new message of the account; one sync at a time per account in this process."""
    result = SyncResult()
    with _lock(account_id):
        while result.pages < MAX_PAGES:
            with database.reading() as db:
                account = account_view(settings, get_enabled_account(db, account_id, CHANNEL))
                cursor = get_cursor(db, account_id, CURSOR)
            page = api.sync_messages(account, cursor, token)
            with database.transaction() as db:
                if get_cursor(db, account_id, CURSOR) != cursor:
                    continue
                store_page(db, clock, settings, account, page, result)
                set_cursor(db, clock, account_id, CURSOR, page.next_cursor)
            result.pages += 1
            if not page.has_more:
                break
    # The customers' files, now that their messages are safely stored.
    result.media = fetch_pending_media(database, clock, settings, api, account_id)
    return result


def store_page(
    db: Session,
    clock: Clock,
    settings: Settings,
    account: AccountView,
    page: SyncPage,
    result: SyncResult,
) -> None:
    row = get_enabled_account(db, account.id, CHANNEL)
    for item in page.messages:
        inbound = inbound_of(item, account)
        if inbound is None:
            result.skipped += 1
            continue
        received = receive(db, clock, settings, row, inbound)
        if received.duplicate:
            result.duplicates += 1
            continue
        result.stored += 1
        media = media_of(item)
        if media is not None and received.message_id is not None:
            media_id, filename = media
            queue_media_fetch(
                db, clock, account.id, received.message_id, media_id, filename, inbound.kind
            )


def _lock(account_id: str) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(account_id, threading.Lock())
