"""The Telegram webhook: ``POST /channels/telegram/{account_id}``.

Register it with ``setWebhook`` and a ``secret_token`` equal to the account's
``webhook_secret``; Telegram then sends that value in
``X-Telegram-Bot-Api-Secret-Token`` with every update, and an update without
it (or with another value) is refused (401) before anything is read or
stored. An account without a ``webhook_secret`` takes no updates at all (409):
its webhook URL alone would let anyone post messages as any Telegram user.
Telegram redelivers until it gets a 2xx, so every update that was handled or
deliberately ignored is answered 200.
"""

from __future__ import annotations

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
from yiwen.channels.telegram.botapi import BotApi
from yiwen.channels.telegram.updates import FileRef, read_update
from yiwen.core.clock import Clock
from yiwen.core.db import Database
from yiwen.core.errors import Conflict, InvalidInput, TooLarge, Unauthenticated
from yiwen.core.settings import Settings
from yiwen.http.deps import get_clock, get_database, get_settings
from yiwen.notify.protocol import DeliveryError

log = logging.getLogger("yiwen.channels.telegram")
router = APIRouter(tags=["channels"])
CHANNEL = "telegram"
MAX_UPDATE_BYTES = 1024 * 1024
FILE_NOT_KEPT = "[文件未能保存]"
_downloads = BotApi()


@router.post("/channels/telegram/{account_id}", response_class=Response)
async def telegram_update(
    account_id: Annotated[str, Path(max_length=32)], request: Request
) -> Response:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_UPDATE_BYTES:
        raise TooLarge("payload_too_large")
    body = await request.body()
    if len(body) > MAX_UPDATE_BYTES:
        raise TooLarge("payload_too_large")
    await run_in_threadpool(
        handle_update,
        get_database(request),
        get_clock(request),
        get_settings(request),
        account_id,
        body,
        request.headers.get("x-telegram-bot-api-secret-token"),
    )
    return Response(status_code=200)


def handle_update(
    database: Database,
    clock: Clock,
    settings: Settings,
    account_id: str,
    body: bytes,
    secret_token: str | None,
) -> None:
    """Verify, read, download the files (outside any transaction), then store in one transaction."""
    with database.reading() as db:
        account = account_view(settings, get_enabled_account(db, account_id, CHANNEL))
    check_secret_token(account.secret("webhook_secret"), secret_token)
    try:
        update = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput("channel_payload_invalid") from None
    if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
        raise InvalidInput("channel_payload_invalid")
    message = read_update(update)
    if message is None or _already_received(database, account_id, message.key):
        return
    media, notes = _download(account, message.files, settings)
    inbound = InboundMessage(
        external_user_id=message.chat_id,
        external_msg_id=message.key,
        kind=message.kind,
        text=" ".join(part for part in [message.text, *notes] if part),
        display_name=message.display_name,
        media=media,
        sent_at=message.sent_at,
    )
    with database.transaction() as db:
        receive(db, clock, settings, get_enabled_account(db, account_id, CHANNEL), inbound)


def check_secret_token(expected: str, given: str | None) -> None:
    if not expected:
        raise Conflict("channel_config_missing", fields="webhook_secret")
    if given is None or not hmac.compare_digest(expected.encode(), given.encode()):
        raise Unauthenticated("channel_signature_invalid")


def _already_received(database: Database, account_id: str, key: str) -> bool:
    """A redelivered update is recognised before its files are downloaded again."""
    with database.reading() as db:
        found = db.scalar(
            select(InboundReceipt.id).where(
                InboundReceipt.account_id == account_id, InboundReceipt.external_msg_id == key
            )
        )
    return found is not None


def _download(
    account: AccountView, files: tuple[FileRef, ...], settings: Settings
) -> tuple[tuple[InboundMedia, ...], list[str]]:
    media: list[InboundMedia] = []
    notes: list[str] = []
    for ref in files:
        if ref.size is not None and ref.size > settings.upload_max_bytes:
            notes.append(FILE_NOT_KEPT)
            continue
        try:
            data = _downloads.download(account, ref.file_id, limit=settings.upload_max_bytes)
        except DeliveryError as exc:
            log.info("telegram file not downloaded for account %s: %s", account.id, exc.reason)
            notes.append(FILE_NOT_KEPT)
            continue
        media.append(InboundMedia(filename=ref.filename, data=data))
    return tuple(media), notes
