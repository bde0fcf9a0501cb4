"""WeChat Official Account callbacks: ``GET``/``POST /channels/wechat/{account_id}``.

GET is the console's URL check (echo ``echostr`` when ``signature`` matches).
POST is a push: the signature is checked first (a forged push is refused with
401 and nothing is read or stored), a safe-mode push is decrypted, the message
is stored once per MsgId, and the bot's answer, when it comes within the
reply budget (3.5 s from arrival by default), is the response itself;
otherwise the response is ``success`` and replies follow by the
customer-service API through the outbox (see :mod:`.passive`).

Staff read the 48-hour window of a conversation at
``GET /api/v1/channels/wechat/conversations/{id}/window``.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from wechatpy.replies import ImageReply, TextReply

from yiwen.attachments.models import Attachment
from yiwen.attachments.service import FileStore
from yiwen.auth.models import StaffUser
from yiwen.channels.accounts import account_view, get_enabled_account
from yiwen.channels.inbound import receive
from yiwen.channels.links import as_wechat_text
from yiwen.channels.media import fits, media_id_for, read_attachment
from yiwen.channels.models import ChannelAccount, InboundReceipt
from yiwen.channels.protocol import AccountView, InboundMedia, InboundMessage, OutboundAttachment
from yiwen.channels.wechat import messages as _messages  # noqa: F401  (registers the texts)
from yiwen.channels.wechat.apicall import TencentApi
from yiwen.channels.wechat.client import WechatApi
from yiwen.channels.wechat.passive import DEFAULT_BUDGET_SECONDS, PendingAnswer, wait_for_answer
from yiwen.channels.wechat.payload import Push, Welcome, interpret, parse_push
from yiwen.channels.wechat.security import check_url_signature, decrypt_message, encrypt_reply
from yiwen.channels.wechat.sender import IMAGE
from yiwen.channels.wechat.tokens import shared_cache
from yiwen.channels.wechat.window import window_state
from yiwen.conversations.service import get_conversation
from yiwen.core.clock import Clock
from yiwen.core.db import Database
from yiwen.core.errors import NotFound, TooLarge, Unauthenticated
from yiwen.core.i18n import translate
from yiwen.core.settings import Settings
from yiwen.http.deps import (
    AppClock,
    DbSession,
    get_clock,
    get_database,
    get_settings,
    require_permission,
)
from yiwen.notify.protocol import DeliveryError

log = logging.getLogger("yiwen.channels.wechat")
CHANNEL = "wechat"
MAX_PUSH_BYTES = 64 * 1024
# Never past WeChat's own five seconds, whatever the config says.
MAX_BUDGET_SECONDS = 4.5
# Images are fetched inside the reply budget, so they get little time.
IMAGE_TIMEOUT_SECONDS = 2.0

router = APIRouter(tags=["channels"])
staff_router = APIRouter(prefix="/api/v1/channels/wechat", tags=["channels"])
ROUTERS = [router, staff_router]

AccountId = Annotated[str, Path(max_length=32)]
Param = Annotated[str, Query(max_length=200)]
OptionalParam = Annotated[str, Query(max_length=200)]


@router.get("/channels/wechat/{account_id}", response_class=Response)
def verify_url(
    account_id: AccountId,
    request: Request,
    signature: Param,
    timestamp: Param,
    nonce: Param,
    echostr: Param,
) -> Response:
    database, settings = get_database(request), get_settings(request)
    with database.reading() as db:
        account = account_view(settings, get_enabled_account(db, account_id, CHANNEL))
    check_url_signature(account, signature, timestamp, nonce)
    return Response(echostr, media_type="text/plain")


@router.post("/channels/wechat/{account_id}", response_class=Response)
async def receive_push(
    account_id: AccountId,
    request: Request,
    signature: Param,
    timestamp: Param,
    nonce: Param,
    encrypt_type: OptionalParam = "",
    msg_signature: OptionalParam = "",
) -> Response:
    arrived = time.monotonic()
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_PUSH_BYTES:
        raise TooLarge("payload_too_large")
    body = await request.body()
    if len(body) > MAX_PUSH_BYTES:
        raise TooLarge("payload_too_large")
    reply = await run_in_threadpool(
        handle_push,
        get_database(request),
        get_clock(request),
        get_settings(request),
        _api(request),
        account_id,
        body,
        Signed(signature, timestamp, nonce, encrypt_type.lower(), msg_signature),
        arrived,
    )
    if reply is None:
        return Response("success", media_type="text/plain")
    return Response(reply, media_type="application/xml")


@dataclass(frozen=True)
class Signed:
    """The query WeChat signs a push with."""

    signature: str
    timestamp: str
    nonce: str
    encrypt_type: str
    msg_signature: str

    @property
    def encrypted(self) -> bool:
        return self.encrypt_type == "aes"


def handle_push(
    database: Database,
    clock: Clock,
    settings: Settings,
    api: WechatApi,
    account_id: str,
    body: bytes,
    signed: Signed,
    arrived: float,
) -> str | None:
    """The passive reply's XML (encrypted when the push was), or None for ``success``."""
    with database.reading() as db:
        account = account_view(settings, get_enabled_account(db, account_id, CHANNEL))
    push = _open(account, body, signed)
    meaning = interpret(push, account, translate("wechat_welcome"))
    if meaning is None:
        return None
    if isinstance(meaning, Welcome):
        return _reply(account, push, meaning.text, signed, clock)
    if meaning.kind == "image" and not _already_received(database, account_id, push.dedup_key):
        meaning = _with_image(api, account, push, meaning, settings)
    with database.transaction() as db:
        received = receive(
            db, clock, settings, get_enabled_account(db, account_id, CHANNEL), meaning
        )
    # The bot has taken its turn by now (it listens to the commit) unless it runs elsewhere.
    if received.message_id is None:
        return None
    budget = min(_budget(account), MAX_BUDGET_SECONDS)
    answer = wait_for_answer(
        database,
        clock,
        PendingAnswer(received.conversation_id, received.message_id, push.dedup_key),
        deadline=arrived + budget,
        bot_answers=settings.bot_enabled and not received.duplicate,
        upload_image=lambda attachment_id: _upload_image(
            database, clock, settings, api, account, attachment_id
        ),
    )
    if answer is None:
        return None
    if answer.image_media_id:
        return _reply(account, push, None, signed, clock, image=answer.image_media_id)
    return _reply(account, push, as_wechat_text(answer.text), signed, clock)


def _open(account: AccountView, body: bytes, signed: Signed) -> Push:
    check_url_signature(account, signed.signature, signed.timestamp, signed.nonce)
    mode = account.setting("encrypt_mode", "plain").lower()
    if signed.encrypted:
        xml = decrypt_message(account, body, signed.msg_signature, signed.timestamp, signed.nonce)
        return parse_push(xml)
    if mode == "safe":
        # A safe-mode account never receives plaintext from WeChat.
        raise Unauthenticated("channel_signature_invalid")
    return parse_push(body)


def _reply(
    account: AccountView,
    push: Push,
    text: str | None,
    signed: Signed,
    clock: Clock,
    *,
    image: str = "",
) -> str:
    moment = int(clock.now().timestamp())
    if image:
        xml = ImageReply(
            source=push.account_name, target=push.openid, media_id=image, time=moment
        ).render()
    else:
        xml = TextReply(
            source=push.account_name, target=push.openid, content=text or "", time=moment
        ).render()
    if signed.encrypted:
        return encrypt_reply(account, xml, signed.nonce, signed.timestamp)
    return str(xml)


def _upload_image(
    database: Database,
    clock: Clock,
    settings: Settings,
    api: WechatApi,
    account: AccountView,
    attachment_id: str,
) -> str | None:
    """The media id of a reply's picture for the passive reply; None for other files."""
    with database.reading() as db:
        row = db.get(Attachment, attachment_id)
        if row is None:
            return None
        path = FileStore(settings.upload_dir).path_for(row.sha256)
        attachment = OutboundAttachment(row.filename, row.content_type, str(path))
    try:
        image = read_attachment(attachment)
        if not fits(IMAGE, image):
            return None
        return media_id_for(
            database,
            clock,
            account.id,
            image,
            IMAGE.media_type,
            lambda: api.upload_media(account, IMAGE.media_type, image),
        )
    except DeliveryError as exc:
        log.info("picture for a passive reply not uploaded: %s", exc.reason)
        return None


def _budget(account: AccountView) -> float:
    try:
        return float(account.setting("reply_budget_seconds", str(DEFAULT_BUDGET_SECONDS)))
    except ValueError:
        return DEFAULT_BUDGET_SECONDS


def _with_image(
    api: WechatApi, account: AccountView, push: Push, inbound: InboundMessage, settings: Settings
) -> InboundMessage:
    """The picture as evidence: from PicUrl, else the media API; else its URL in the text."""
    pic_url, media_id = push.get("PicUrl"), push.get("MediaId")
    limit = settings.upload_max_bytes
    name = f"wechat-{push.get('MsgId') or 'image'}.jpg"
    if pic_url.startswith(("http://", "https://")):
        try:
            response = api.api.get_bytes(pic_url, {}, limit=limit, timeout=IMAGE_TIMEOUT_SECONDS)
            if response.status_code == 200 and response.content:
                media = InboundMedia(name, response.content, _image_type(response.headers))
                return replace(inbound, media=(media,))
        except Exception as exc:  # any failure here leaves the URL as the evidence
            log.info("WeChat PicUrl not fetched: %s", type(exc).__name__)
    if media_id:
        try:
            fetched = api.download_media(account, media_id, limit=limit)
            return replace(inbound, media=(InboundMedia(name, fetched.data, fetched.content_type),))
        except Exception as exc:
            log.info("WeChat media %s not fetched: %s", media_id, type(exc).__name__)
    return replace(inbound, text=f"[图片] {pic_url or media_id}".strip())


def _image_type(headers: object) -> str:
    value = getattr(headers, "get", lambda *_: None)("content-type")
    return str(value).split(";")[0] if value else "image/jpeg"


def _already_received(database: Database, account_id: str, key: str) -> bool:
    with database.reading() as db:
        found = db.scalar(
            select(InboundReceipt.id).where(
                InboundReceipt.account_id == account_id, InboundReceipt.external_msg_id == key
            )
        )
    return found is not None


def _api(request: Request) -> WechatApi:
    """One API client (and token cache) per app, made on first use."""
    state = request.app.state
    api: WechatApi | None = getattr(state, "wechat_api", None)
    if api is None:
        api = WechatApi(TencentApi(shared_cache(get_clock(request))))
        state.wechat_api = api
    return api


class WindowOut(BaseModel):
    """WeChat's 48-hour window for a conversation, for the agent console."""

    conversation_id: str
    channel_window_open: bool
    last_inbound_at: datetime | None
    window_closes_at: datetime | None


InboxReader = Annotated[StaffUser, Depends(require_permission("inbox.read"))]


@staff_router.get("/conversations/{conversation_id}/window")
def conversation_window(
    conversation_id: Annotated[str, Path(max_length=32)],
    db: DbSession,
    clock: AppClock,
    staff: InboxReader,
) -> WindowOut:
    conversation = get_conversation(db, conversation_id)
    account = db.get(ChannelAccount, conversation.channel_account_id or "")
    if account is None or account.channel != CHANNEL:
        raise NotFound("wechat_not_a_wechat_conversation")
    state = window_state(db, clock, account.id, conversation.customer_id)
    return WindowOut(
        conversation_id=conversation.id,
        channel_window_open=state.open,
        last_inbound_at=state.last_inbound_at,
        window_closes_at=state.closes_at,
    )
