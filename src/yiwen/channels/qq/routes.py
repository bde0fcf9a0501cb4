"""The OneBot v11 HTTP POST endpoint: ``POST /channels/qq/{account_id}``.

Set the implementation's HTTP POST (反向 HTTP / "http client") URL to this
address. With a ``secret`` among the account's secrets, every POST must carry
``X-Signature: sha1=<HMAC-SHA1 of the raw body>``; a missing or wrong one is
refused (401) before anything is read or stored. Events Yiwen does not answer
(heartbeats, lifecycle, notices, requests, group chatter without an @ of the
bot) get 204 like handled ones: a 204 tells OneBot there is no quick operation.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from typing import Annotated

from fastapi import APIRouter, Path, Request, Response
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from yiwen.channels.accounts import account_view, get_enabled_account
from yiwen.channels.inbound import receive
from yiwen.channels.models import InboundReceipt
from yiwen.channels.protocol import AccountView, InboundMedia, InboundMessage
from yiwen.channels.qq.events import ImageRef, QQMessage, read_event
from yiwen.channels.qq.media import MediaNotFetched, fetch_image
from yiwen.core.clock import Clock
from yiwen.core.db import Database
from yiwen.core.errors import InvalidInput, TooLarge, Unauthenticated
from yiwen.core.settings import Settings
from yiwen.http.deps import get_clock, get_database, get_settings

log = logging.getLogger("yiwen.channels.qq")
router = APIRouter(tags=["channels"])
CHANNEL = "qq"
# OneBot events are small JSON documents; images come by URL, never inline.
MAX_EVENT_BYTES = 1024 * 1024
IMAGE_NOT_KEPT = "[图片未能保存]"


@router.post("/channels/qq/{account_id}", status_code=204, response_class=Response)
async def onebot_event(
    account_id: Annotated[str, Path(max_length=32)], request: Request
) -> Response:
    body = await read_limited_body(request, MAX_EVENT_BYTES)
    await run_in_threadpool(
        handle_event,
        get_database(request),
        get_clock(request),
        get_settings(request),
        account_id,
        body,
        request.headers.get("x-signature"),
    )
    return Response(status_code=204)


async def read_limited_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise TooLarge("payload_too_large")
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > limit:
            raise TooLarge("payload_too_large")
    return bytes(body)


def handle_event(
    database: Database,
    clock: Clock,
    settings: Settings,
    account_id: str,
    body: bytes,
    signature: str | None,
) -> None:
    """Verify, read, fetch the images (outside any transaction), then store in one transaction."""
    with database.reading() as db:
        account = account_view(settings, get_enabled_account(db, account_id, CHANNEL))
    check_signature(account.secret("secret"), body, signature)
    try:
        event = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput("channel_payload_invalid") from None
    if not isinstance(event, dict):
        raise InvalidInput("channel_payload_invalid")
    message = read_event(event)
    if message is None or _already_received(database, account_id, message.message_id):
        return
    inbound = _inbound(message, *_fetch_images(account, message.images, settings))
    with database.transaction() as db:
        receive(db, clock, settings, get_enabled_account(db, account_id, CHANNEL), inbound)


def check_signature(secret: str, body: bytes, header: str | None) -> None:
    """OneBot v11 signs the raw body: ``X-Signature: sha1=<hex HMAC-SHA1>`` (with a secret)."""
    if not secret:
        return
    expected = "sha1=" + hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()
    if header is None or not hmac.compare_digest(expected.encode(), header.strip().encode()):
        raise Unauthenticated("channel_signature_invalid")


def _already_received(database: Database, account_id: str, message_id: str) -> bool:
    """A redelivery is recognised before its images are fetched again (receive checks once more)."""
    with database.reading() as db:
        found = db.scalar(
            select(InboundReceipt.id).where(
                InboundReceipt.account_id == account_id,
                InboundReceipt.external_msg_id == message_id,
            )
        )
    return found is not None


def _fetch_images(
    account: AccountView, images: tuple[ImageRef, ...], settings: Settings
) -> tuple[tuple[InboundMedia, ...], list[str]]:
    media: list[InboundMedia] = []
    notes: list[str] = []
    for image in images:
        try:
            data = fetch_image(account, image.url, limit=settings.upload_max_bytes)
        except MediaNotFetched as exc:
            log.info("qq image not fetched for account %s: %s", account.id, exc)
            notes.append(IMAGE_NOT_KEPT)
            continue
        media.append(InboundMedia(filename=image.filename, data=data))
    return tuple(media), notes


def _inbound(
    message: QQMessage, media: tuple[InboundMedia, ...], notes: list[str]
) -> InboundMessage:
    text = " ".join(part for part in [message.text, *notes] if part)
    return InboundMessage(
        external_user_id=message.user_key,
        external_msg_id=message.message_id,
        kind=message.kind,
        text=text,
        display_name=message.display_name,
        media=media,
        sent_at=message.sent_at,
    )
