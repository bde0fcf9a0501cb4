"""A WeCom customer's image, voice or file, downloaded into their stored message.

kf/sync_msg names the customer's media by ``media_id`` only. The message is
stored first with its text (``[图片]``, ``[文件]``…) so nothing depends on the
download; the download is queued (:class:`yiwen.channels.models.MediaFetch`),
tried right after the page commits and then by the channel job with growing
pauses, outside any transaction. The file becomes evidence on the message
when it arrives; a refusal for good (unknown media id, a file larger than the
upload limit or of a type Yiwen does not keep, such as AMR voice) or WeCom's
three days passing ends the attempts, recorded on the row.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from yiwen.attachments.service import FileStore, store_attachment
from yiwen.channels.accounts import account_view
from yiwen.channels.models import ChannelAccount, MediaFetch
from yiwen.channels.wecom.client import Media, WecomApi
from yiwen.conversations.models import Conversation, Message
from yiwen.core.clock import Clock, as_utc
from yiwen.core.db import Database
from yiwen.core.errors import DomainError
from yiwen.core.settings import Settings
from yiwen.notify.protocol import PermanentError, RetriableError

log = logging.getLogger("yiwen.channels.wecom")

MEDIA_TYPES = {"image": ".jpg", "voice": ".amr", "file": "", "video": ".mp4"}
MAX_ATTEMPTS = 8
FIRST_PAUSE = timedelta(seconds=30)
LONGEST_PAUSE = timedelta(hours=1)
# WeCom keeps temporary media three days.
MEDIA_KEPT = timedelta(days=3)
BATCH = 20


@dataclass(frozen=True)
class DueFetch:
    id: str
    account_id: str
    media_id: str
    filename: str
    attempts: int
    created_at: datetime


def media_of(item: dict[str, object]) -> tuple[str, str] | None:
    """(media_id, a default file name) of a sync_msg item carrying media."""
    msgtype = str(item.get("msgtype") or "")
    if msgtype not in MEDIA_TYPES:
        return None
    part = item.get(msgtype)
    media_id = part.get("media_id") if isinstance(part, dict) else None
    if not isinstance(media_id, str) or not media_id:
        return None
    return media_id, f"wecom-{item.get('msgid', 'media')}{MEDIA_TYPES[msgtype]}"


def queue_media_fetch(
    db: Session,
    clock: Clock,
    account_id: str,
    message_id: int,
    media_id: str,
    filename: str,
    kind: str,
) -> None:
    try:
        with db.begin_nested():
            db.add(
                MediaFetch(
                    account_id=account_id,
                    message_id=message_id,
                    media_id=media_id,
                    kind=kind,
                    filename=filename[:200],
                    next_try_at=clock.now(),
                    created_at=clock.now(),
                )
            )
            db.flush()
    except IntegrityError:
        pass  # already queued for this message


def fetch_pending_media(
    database: Database,
    clock: Clock,
    settings: Settings,
    api: WecomApi,
    account_id: str | None = None,
) -> int:
    """Try every due download (of one account, or all); returns how many files arrived."""
    with database.reading() as db:
        query = (
            select(MediaFetch)
            .where(MediaFetch.status == "pending", MediaFetch.next_try_at <= clock.now())
            .order_by(MediaFetch.next_try_at, MediaFetch.id)
            .limit(BATCH)
        )
        if account_id is not None:
            query = query.where(MediaFetch.account_id == account_id)
        due = [
            DueFetch(r.id, r.account_id, r.media_id, r.filename, r.attempts, r.created_at)
            for r in db.scalars(query)
        ]
        accounts = {
            row.id: account_view(settings, row)
            for row in db.scalars(
                select(ChannelAccount).where(
                    ChannelAccount.id.in_({d.account_id for d in due}),
                    ChannelAccount.enabled.is_(True),
                )
            )
        }
    arrived = 0
    for fetch in due:
        account = accounts.get(fetch.account_id)
        if account is None:
            continue  # a disabled account: its files wait until it is enabled again
        try:
            media = api.download_media(account, fetch.media_id, limit=settings.upload_max_bytes)
        except RetriableError as exc:
            _settle(database, clock, fetch, error=exc.reason, retry=True)
            continue
        except PermanentError as exc:
            _settle(database, clock, fetch, error=exc.reason, retry=False)
            continue
        if _attach(database, clock, settings, fetch, media):
            arrived += 1
    return arrived


def _attach(
    database: Database, clock: Clock, settings: Settings, fetch: DueFetch, media: Media
) -> bool:
    with database.transaction() as db:
        row = db.get(MediaFetch, fetch.id)
        message = db.get(Message, row.message_id) if row is not None else None
        conversation = db.get(Conversation, message.conversation_id) if message else None
        if row is None or row.status != "pending" or message is None or conversation is None:
            return False
        try:
            with db.begin_nested():
                attachment = store_attachment(
                    db,
                    clock,
                    FileStore(settings.upload_dir),
                    io.BytesIO(media.data),
                    filename=media.filename or fetch.filename,
                    limit=settings.upload_max_bytes,
                    customer_id=conversation.customer_id,
                    uploaded_by_type="customer",
                    uploaded_by_id=conversation.customer_id,
                    conversation_id=conversation.id,
                )
        except DomainError as exc:
            row.status, row.last_error = "failed", f"not kept: {exc}"[:1000]
            log.info("WeCom media %s not kept: %s", fetch.media_id[:20], exc)
            return False
        message.attachment_ids = [*(message.attachment_ids or []), attachment.id]
        row.status, row.attachment_id, row.last_error = "done", attachment.id, None
        row.attempts += 1
    return True


def _settle(database: Database, clock: Clock, fetch: DueFetch, *, error: str, retry: bool) -> None:
    with database.transaction() as db:
        row = db.get(MediaFetch, fetch.id)
        if row is None or row.status != "pending":
            return
        row.attempts += 1
        row.last_error = error[:1000]
        pause = min(FIRST_PAUSE * (2 ** (row.attempts - 1)), LONGEST_PAUSE)
        expired = clock.now() + pause > as_utc(row.created_at) + MEDIA_KEPT
        if not retry or row.attempts >= MAX_ATTEMPTS or expired:
            row.status = "failed"
            log.warning("WeCom media %s not downloaded: %s", fetch.media_id[:20], error)
        else:
            row.next_try_at = clock.now() + pause
