"""Files sent to Tencent's platforms (WeChat OA, WeCom) as temporary media.

Each platform takes a file by ``media/upload`` and answers a ``media_id`` valid
three days; a message then names the ``media_id``. The id is kept per account
and content (:class:`yiwen.channels.models.MediaUpload`) and reused until shortly
before it expires, so a retried delivery or the same picture sent to several
customers is uploaded once. Files the platform would refuse (type, size) are
recognised before uploading, by the same rules it applies.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import delete

from yiwen.channels.models import MediaUpload
from yiwen.channels.protocol import OutboundAttachment
from yiwen.core.clock import Clock, as_utc
from yiwen.core.db import Database
from yiwen.notify.protocol import PermanentError

# Temporary media live three days on both platforms; an id is not reused in its last hour.
MEDIA_LIFETIME = timedelta(days=3)
REUSE_MARGIN = timedelta(hours=1)
# errcodes of media/upload and of sending a media_id that mean "this file, never":
# 40004 invalid media type, 40005 invalid file type, 40006 invalid file size,
# 40009 invalid image size, 41005 media data missing.
MEDIA_REFUSED_ERRCODES = frozenset({40004, 40005, 40006, 40009, 41005})
# The id is unknown or has expired: upload again.
MEDIA_ID_INVALID_ERRCODES = frozenset({40007})


class MediaRefused(PermanentError):
    """The platform will not take this file (type or size)."""


class MediaIdInvalid(PermanentError):
    """The platform no longer knows the media id (expired, or purged)."""


@dataclass(frozen=True)
class MediaRule:
    """What a platform accepts as one media type."""

    media_type: str
    limit: int
    content_types: frozenset[str] | None  # None: any type


@dataclass(frozen=True)
class OutboundFile:
    filename: str
    content_type: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def read_attachment(attachment: OutboundAttachment) -> OutboundFile:
    try:
        data = Path(attachment.path).read_bytes()
    except OSError as exc:
        raise PermanentError(f"attachment {attachment.filename!r} is missing") from exc
    return OutboundFile(attachment.filename, attachment.content_type, data)


def fits(rule: MediaRule, file: OutboundFile) -> bool:
    # Both platforms refuse files of five bytes or less.
    size_ok = 5 < len(file.data) <= rule.limit
    return size_ok and (rule.content_types is None or file.content_type in rule.content_types)


def media_id_for(
    database: Database,
    clock: Clock,
    account_id: str,
    file: OutboundFile,
    media_type: str,
    upload: Callable[[], str],
) -> str:
    """The file's media id on this account: the cached one, else ``upload()`` (run outside
    any transaction: it is network I/O) and remembered."""
    sha = file.sha256
    with database.reading() as db:
        cached = db.get(MediaUpload, (account_id, sha, media_type))
        if cached is not None and as_utc(cached.expires_at) - REUSE_MARGIN > clock.now():
            return cached.media_id
    media_id = upload()
    with database.transaction() as db:
        row = db.get(MediaUpload, (account_id, sha, media_type))
        if row is None:
            row = MediaUpload(account_id=account_id, content_sha256=sha, media_type=media_type)
            db.add(row)
        row.media_id = media_id
        row.created_at = clock.now()
        row.expires_at = clock.now() + MEDIA_LIFETIME
    return media_id


def forget_media_id(
    database: Database, account_id: str, file: OutboundFile, media_type: str
) -> None:
    with database.transaction() as db:
        db.execute(
            delete(MediaUpload).where(
                MediaUpload.account_id == account_id,
                MediaUpload.content_sha256 == file.sha256,
                MediaUpload.media_type == media_type,
            )
        )


def send_media(
    database: Database,
    clock: Clock,
    account_id: str,
    file: OutboundFile,
    media_type: str,
    upload: Callable[[], str],
    send: Callable[[str], None],
) -> None:
    """Send by media id; an id the platform forgot is uploaded again once."""
    media_id = media_id_for(database, clock, account_id, file, media_type, upload)
    try:
        send(media_id)
    except MediaIdInvalid:
        forget_media_id(database, account_id, file, media_type)
        send(media_id_for(database, clock, account_id, file, media_type, upload))
