"""Serving stored uploads so that a browser never runs them."""

from __future__ import annotations

from pathlib import Path

from fastapi.responses import FileResponse

from yiwen.attachments.models import Attachment
from yiwen.attachments.service import FileStore


def attachment_response(upload_dir: Path, attachment: Attachment) -> FileResponse:
    """Exact stored type, ``nosniff`` and a sandboxing CSP; only images display inline."""
    inline = attachment.content_type.startswith("image/")
    return FileResponse(
        FileStore(upload_dir).path_for(attachment.sha256),
        media_type=attachment.content_type,
        filename=attachment.filename,
        content_disposition_type="inline" if inline else "attachment",
        headers={
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Cache-Control": "private, max-age=3600",
        },
    )
