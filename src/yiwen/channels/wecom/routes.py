"""WeCom customer-service callbacks: ``GET``/``POST /channels/wecom/{account_id}``.

GET is the console's URL check: decrypt ``echostr`` and return it. POST is an
encrypted event; ``kf_msg_or_event`` carries no message, only a ``Token``
that entitles Yiwen to read the new messages with kf/sync_msg, which it does
at once (see :mod:`.sync`) before answering ``success``. A forged callback is
refused with 401 and nothing is read or stored.

Staff move a customer's WeCom session with
``POST /api/v1/channels/wecom/conversations/{id}/service-state``.
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from yiwen.auth.models import StaffUser
from yiwen.channels.accounts import account_view, get_enabled_account
from yiwen.channels.inbound import split_identity_key
from yiwen.channels.models import ChannelAccount
from yiwen.channels.wechat.apicall import TencentApi
from yiwen.channels.wechat.tokens import shared_cache
from yiwen.channels.wecom import messages as _messages  # noqa: F401  (registers the texts)
from yiwen.channels.wecom.client import STATE_SERVICER, WecomApi
from yiwen.channels.wecom.security import check_url, open_callback
from yiwen.channels.wecom.sync import CHANNEL, sync_account
from yiwen.conversations.service import get_conversation
from yiwen.core.clock import Clock
from yiwen.core.db import Database
from yiwen.core.errors import Conflict, InvalidInput, NotFound, TooLarge
from yiwen.core.settings import Settings
from yiwen.customers.models import Identity
from yiwen.http.deps import get_clock, get_database, get_settings, require_permission
from yiwen.notify.protocol import DeliveryError

log = logging.getLogger("yiwen.channels.wecom")
MAX_CALLBACK_BYTES = 64 * 1024
SYNC_EVENT = "kf_msg_or_event"

router = APIRouter(tags=["channels"])
staff_router = APIRouter(prefix="/api/v1/channels/wecom", tags=["channels"])
ROUTERS = [router, staff_router]

AccountId = Annotated[str, Path(max_length=32)]
Param = Annotated[str, Query(max_length=1000)]


@router.get("/channels/wecom/{account_id}", response_class=Response)
def verify_url(
    account_id: AccountId,
    request: Request,
    msg_signature: Param,
    timestamp: Param,
    nonce: Param,
    echostr: Param,
) -> Response:
    with get_database(request).reading() as db:
        account = account_view(get_settings(request), get_enabled_account(db, account_id, CHANNEL))
    return Response(
        check_url(account, msg_signature, timestamp, nonce, echostr), media_type="text/plain"
    )


@router.post("/channels/wecom/{account_id}", response_class=Response)
async def callback(
    account_id: AccountId,
    request: Request,
    msg_signature: Param,
    timestamp: Param,
    nonce: Param,
) -> Response:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_CALLBACK_BYTES:
        raise TooLarge("payload_too_large")
    body = await request.body()
    if len(body) > MAX_CALLBACK_BYTES:
        raise TooLarge("payload_too_large")
    await run_in_threadpool(
        handle_callback,
        get_database(request),
        get_clock(request),
        get_settings(request),
        wecom_api(request),
        account_id,
        body,
        (msg_signature, timestamp, nonce),
    )
    return Response("success", media_type="text/plain")


def handle_callback(
    database: Database,
    clock: Clock,
    settings: Settings,
    api: WecomApi,
    account_id: str,
    body: bytes,
    signed: tuple[str, str, str],
) -> None:
    with database.reading() as db:
        account = account_view(settings, get_enabled_account(db, account_id, CHANNEL))
    fields = open_callback(account, body, *signed)
    if fields.get("MsgType") != "event" or fields.get("Event") != SYNC_EVENT:
        return
    try:
        result = sync_account(database, clock, settings, api, account_id, fields.get("Token", ""))
    except DeliveryError as exc:
        # The callback is acknowledged anyway: the next callback (or a retry) syncs from the
        # committed cursor, so nothing is lost by not failing the request.
        log.warning("WeCom sync of %s stopped: %s", account_id, exc.reason)
        return
    log.info("WeCom sync of %s: %s", account_id, result)


def wecom_api(request: Request) -> WecomApi:
    """One API client (and token cache) per app, made on first use."""
    state = request.app.state
    api: WecomApi | None = getattr(state, "wecom_api", None)
    if api is None:
        api = WecomApi(TencentApi(shared_cache(get_clock(request))))
        state.wecom_api = api
    return api


class ServiceStateIn(BaseModel):
    # 1 bot / API (Yiwen answers), 2 WeCom queue, 3 a WeCom servicer, 4 ended.
    service_state: int = Field(ge=1, le=4)
    servicer_userid: str = Field(default="", max_length=64)


class ServiceStateOut(BaseModel):
    conversation_id: str
    service_state: int


Updater = Annotated[StaffUser, Depends(require_permission("ticket.update"))]


@staff_router.post("/conversations/{conversation_id}/service-state")
def change_service_state(
    conversation_id: Annotated[str, Path(max_length=32)],
    body: ServiceStateIn,
    request: Request,
    staff: Updater,
) -> ServiceStateOut:
    """Move the customer's WeCom session (end it when resolved; hand it to a WeCom servicer)."""
    if body.service_state == STATE_SERVICER and not body.servicer_userid:
        raise InvalidInput("wecom_servicer_required")
    settings = get_settings(request)
    with get_database(request).reading() as db:
        conversation = get_conversation(db, conversation_id)
        account = db.get(ChannelAccount, conversation.channel_account_id or "")
        if account is None or account.channel != CHANNEL:
            raise NotFound("wecom_not_a_wecom_conversation")
        view = account_view(settings, account)
        prefix = f"{account.id}:"
        identity = next(
            (
                i.external_id
                for i in db.query(Identity).filter(
                    Identity.customer_id == conversation.customer_id, Identity.channel == CHANNEL
                )
                if i.external_id.startswith(prefix)
            ),
            None,
        )
    if identity is None:
        raise NotFound("wecom_not_a_wecom_conversation")
    _account_id, external_userid = split_identity_key(identity)
    try:
        wecom_api(request).change_service_state(
            view, external_userid, body.service_state, body.servicer_userid
        )
    except DeliveryError as exc:
        raise Conflict("wecom_state_refused", reason=exc.reason[:200]) from exc
    return ServiceStateOut(conversation_id=conversation_id, service_state=body.service_state)
