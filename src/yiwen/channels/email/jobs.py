"""The IMAP poll: every enabled mailbox account, new mails by UID, exactly once.

The cursor (UIDVALIDITY, the last UID taken, when the last poll ended) is a
``channel_cursors`` row moved after each mail, in one short transaction with
what that mail stored: a crash before the commit leaves both untouched and the
next poll reads that mail again; a commit covers both. No transaction is open
while IMAP is talked to (a slow mailbox must not hold SQLite's one writer lock;
the job runs with :func:`yiwen.worker.jobs.own_transactions`).
A mail seen again anyway (UIDVALIDITY changed, the mailbox was rebuilt, a copy
in another folder) is recognised by its Message-ID and stored once.

On the first poll only recent mail is read (``initial_lookback_days``, 3 by
default), so connecting an old mailbox does not make the bot answer years of
history; after a UIDVALIDITY change the mailbox is read again from a day
before the last poll.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from yiwen.channels.accounts import account_view, list_accounts
from yiwen.channels.cursors import get_cursor, set_cursor
from yiwen.channels.email.imap import ImapMailbox, MailboxError, MailboxSettings
from yiwen.channels.email.intake import store_mail
from yiwen.channels.email.parsing import parse_mail
from yiwen.channels.models import ChannelAccount
from yiwen.channels.protocol import AccountView
from yiwen.core.clock import Clock, to_local
from yiwen.core.db import Database
from yiwen.core.errors import DomainError
from yiwen.core.settings import Settings
from yiwen.store.protocol import StoreConnector
from yiwen.worker.jobs import own_transactions

log = logging.getLogger("yiwen.channels.email")

CURSOR_NAME = "imap"
DEFAULT_MAX_PER_POLL = 50
DEFAULT_LOOKBACK_DAYS = 3


@dataclass(frozen=True)
class MailboxCursor:
    uidvalidity: int = 0
    last_uid: int = 0
    polled_at: str = ""
    error: str = ""

    @classmethod
    def load(cls, value: str) -> MailboxCursor:
        if not value:
            return cls()
        try:
            data = json.loads(value)
            return cls(
                uidvalidity=int(data.get("uidvalidity", 0)),
                last_uid=int(data.get("last_uid", 0)),
                polled_at=str(data.get("polled_at", "")),
                error=str(data.get("error", "")),
            )
        except (ValueError, TypeError, AttributeError):
            log.warning("unreadable imap cursor %r: starting over", value[:100])
            return cls()

    def dump(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


@own_transactions
def poll_mailboxes(database: Database, clock: Clock, store: StoreConnector) -> int:
    """The periodic job: poll every enabled email account; returns the mails taken.

    It holds no transaction while it talks IMAP (see :func:`poll_account`).
    """
    settings = database.context.get("settings")
    assert isinstance(settings, Settings)
    with database.reading() as db:
        account_ids = [a.id for a in list_accounts(db, "email") if a.enabled]
    return sum(
        poll_account(database, clock, settings, account_id, store) for account_id in account_ids
    )


def poll_account(
    database: Database,
    clock: Clock,
    settings: Settings,
    account_id: str,
    store: StoreConnector | None = None,
) -> int:
    """Read the account's new mails into Yiwen; an unreachable mailbox is logged, not raised.

    Every IMAP exchange happens outside any transaction; each mail is then
    stored in a short transaction of its own together with the cursor past
    it. A crash between the fetch and that commit leaves the cursor before the
    mail, so it is fetched again; a crash after it never fetches it again.
    """
    with database.reading() as db:
        account = db.get(ChannelAccount, account_id)
        if account is None or not account.enabled:
            return 0
        cursor = MailboxCursor.load(get_cursor(db, account_id, CURSOR_NAME))
        try:
            view: AccountView | None = account_view(settings, account)
            problem = ""
        except DomainError as exc:
            view, problem = None, str(exc)
    taken = 0
    try:
        if view is None:
            raise MailboxError(problem)
        limit = max(1, _int_setting(view.config.get("max_per_poll"), DEFAULT_MAX_PER_POLL))
        with ImapMailbox(MailboxSettings.of(view)) as mailbox:
            for uid in _pending(mailbox, cursor, clock, view.config)[:limit]:
                raw = mailbox.fetch(uid)
                cursor = replace(cursor, uidvalidity=mailbox.uidvalidity, last_uid=uid)
                with database.transaction() as db:
                    if raw is not None:
                        _take(db, clock, settings, account_id, store, raw, uid)
                        taken += 1
                    set_cursor(db, clock, account_id, CURSOR_NAME, cursor.dump())
            cursor = replace(
                cursor,
                uidvalidity=mailbox.uidvalidity,
                polled_at=clock.now().isoformat(),
                error="",
            )
    except MailboxError as exc:
        log.warning("mailbox of email account %s not read: %s", account_id, exc)
        cursor = replace(cursor, error=str(exc)[:300])
    with database.transaction() as db:
        set_cursor(db, clock, account_id, CURSOR_NAME, cursor.dump())
    return taken


def _pending(
    mailbox: ImapMailbox, cursor: MailboxCursor, clock: Clock, config: dict[str, object]
) -> list[int]:
    if cursor.uidvalidity and cursor.uidvalidity == mailbox.uidvalidity:
        return mailbox.uids_after(cursor.last_uid)
    if cursor.uidvalidity:
        log.warning(
            "UIDVALIDITY of a mailbox changed (%s -> %s): reading it again since the last poll",
            cursor.uidvalidity,
            mailbox.uidvalidity,
        )
        since = _parse_time(cursor.polled_at) or clock.now()
        return mailbox.uids_since(to_local(since - timedelta(days=1)).date())
    days = _int_setting(config.get("initial_lookback_days"), DEFAULT_LOOKBACK_DAYS)
    return mailbox.uids_since(to_local(clock.now() - timedelta(days=days)).date())


def _take(
    db: Session,
    clock: Clock,
    settings: Settings,
    account_id: str,
    store: StoreConnector | None,
    raw: bytes,
    uid: int,
) -> None:
    """One mail in a savepoint: a mail Yiwen cannot take is logged and skipped, never retried."""
    account = db.get_one(ChannelAccount, account_id)
    try:
        with db.begin_nested():
            outcome = store_mail(db, clock, settings, account, parse_mail(raw), store)
    except (DomainError, ValueError, LookupError) as exc:
        log.warning("mail UID %s of email account %s skipped: %s", uid, account.id, exc)
        return
    log.info("mail UID %s of email account %s: %s", uid, account.id, outcome)


def _int_setting(value: object, default: int) -> int:
    try:
        number = int(str(value)) if value not in (None, "") else default
    except ValueError:
        return default
    return max(0, number)


def _parse_time(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None
