"""Storing uploads and deciding who may read them."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from yiwen.attachments.models import Attachment
from yiwen.attachments.sniff import ALLOWED, sniff_content_type
from yiwen.core.clock import Clock
from yiwen.core.errors import InvalidInput, NotFound, TooLarge
from yiwen.core.i18n import register_messages

register_messages(
    {
        "file_too_large": ("文件不能超过 {limit_mb} MB", "Files may not exceed {limit_mb} MB"),
        "file_empty": ("文件为空", "The file is empty"),
        "file_type_not_allowed": (
            "仅支持图片（PNG/JPG/GIF/WEBP）、PDF 和纯文本文件",
            "Only images (PNG/JPG/GIF/WEBP), PDF and plain text files are accepted",
        ),
        "attachment_not_found": ("附件不存在", "Attachment not found"),
    }
)

CHUNK = 1024 * 1024
_UNSAFE_NAME = re.compile(r"[^\w.\-\u4e00-\u9fff ]+")


def clean_filename(name: str | None, content_type: str) -> str:
    base = Path(name or "").name
    base = _UNSAFE_NAME.sub("_", base).strip(" .")[:120] or "file"
    stem = base.rsplit(".", 1)[0] if "." in base else base
    return stem + ALLOWED[content_type]


class FileStore:
    """Content-addressed files under ``root``: the same bytes are stored once."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path_for(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def save(self, source: BinaryIO, limit: int) -> tuple[str, int, str]:
        """Copy the upload to disk; returns (sha256, size, content type) or raises.

        The bytes go to a temporary file first, so a refused or oversized upload
        leaves nothing behind.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        head = b""
        fd, tmp_name = tempfile.mkstemp(dir=self.root, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := source.read(CHUNK):
                    size += len(chunk)
                    if size > limit:
                        raise TooLarge("file_too_large", limit_mb=limit // (1024 * 1024))
                    if len(head) < 8192:
                        head += chunk[: 8192 - len(head)]
                    digest.update(chunk)
                    out.write(chunk)
            if size == 0:
                raise InvalidInput("file_empty")
            content_type = sniff_content_type(head)
            if content_type is None:
                raise InvalidInput("file_type_not_allowed")
            sha = digest.hexdigest()
            target = self.path_for(sha)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp_name, target)
            return sha, size, content_type
        finally:
            if os.path.exists(tmp_name):
                os.unlink(tmp_name)


def store_attachment(
    db: Session,
    clock: Clock,
    files: FileStore,
    source: BinaryIO,
    *,
    filename: str | None,
    limit: int,
    customer_id: str,
    uploaded_by_type: str,
    uploaded_by_id: str,
    conversation_id: str | None = None,
    ticket_id: str | None = None,
) -> Attachment:
    sha, size, content_type = files.save(source, limit)
    attachment = Attachment(
        sha256=sha,
        content_type=content_type,
        size=size,
        filename=clean_filename(filename, content_type),
        customer_id=customer_id,
        conversation_id=conversation_id,
        ticket_id=ticket_id,
        uploaded_by_type=uploaded_by_type,
        uploaded_by_id=uploaded_by_id,
        created_at=clock.now(),
    )
    db.add(attachment)
    db.flush()
    return attachment


def get_attachment(db: Session, attachment_id: str) -> Attachment:
    attachment = db.get(Attachment, attachment_id)
    if attachment is None:
        raise NotFound("attachment_not_found")
    return attachment


def get_customer_attachments(db: Session, customer_id: str, ids: list[str]) -> list[Attachment]:
    """The customer's own uploads among ``ids``; anything else is reported as not found."""
    if not ids:
        return []
    found = list(
        db.scalars(
            select(Attachment).where(Attachment.id.in_(ids), Attachment.customer_id == customer_id)
        )
    )
    if len(found) != len(set(ids)):
        raise NotFound("attachment_not_found")
    return found
