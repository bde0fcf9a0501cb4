"""The public customer API for conversations: the widget and shops' apps call these."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, UploadFile, WebSocket, status
from fastapi.responses import FileResponse
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from yiwen.attachments.service import FileStore, get_attachment, store_attachment
from yiwen.conversations import service
from yiwen.conversations.access import (
    CustomerPrincipal,
    get_conversation_for,
    principal_from_conversation_token,
    principal_from_shop_token,
)
from yiwen.conversations.intake import MessageIntake
from yiwen.conversations.realtime import conversation_topic
from yiwen.conversations.schemas import (
    AttachmentOut,
    ConversationOut,
    ConversationStarted,
    MessageOut,
    MessagePage,
    PostMessage,
    StartConversation,
)
from yiwen.core.clock import Clock
from yiwen.core.db import Database
from yiwen.core.errors import DomainError, NotFound, Unauthenticated
from yiwen.core.ids import new_id
from yiwen.core.settings import Settings
from yiwen.customers.service import (
    find_or_create_customer,
    get_customer,
    link_identity,
    normalise_contact,
)
from yiwen.http.deps import (
    CONVERSATION_TOKEN_HEADER,
    SHOP_TOKEN_HEADER,
    AppClock,
    AppSettings,
    CurrentCustomer,
    DbSession,
    OptionalCustomer,
    bearer_token,
    current_customer,
)
from yiwen.http.files import attachment_response
from yiwen.http.websocket import stream_topic

router = APIRouter(prefix="/api/v1/customer", tags=["customer"])


@router.post("/conversations", status_code=status.HTTP_201_CREATED)
def start_conversation(
    body: StartConversation, db: DbSession, clock: AppClock, who: OptionalCustomer
) -> ConversationStarted:
    """Start a conversation. With ``X-Shop-Token`` it belongs to that shop user; otherwise
    to a new anonymous visitor."""
    if who is not None:
        customer = get_customer(db, who.customer_id)
    else:
        customer = find_or_create_customer(
            db, clock, channel=body.channel, external_id=new_id(), display_name=body.display_name
        )
    if body.contact:
        channel, value = normalise_contact(body.contact)
        link_identity(db, clock, customer, channel=channel, external_id=value)
    conversation, token = service.start_conversation(db, clock, customer, channel=body.channel)
    return ConversationStarted(
        conversation=ConversationOut.model_validate(conversation), token=token
    )


@router.get("/conversations/{conversation_id}")
def read_conversation(conversation_id: str, db: DbSession, who: CurrentCustomer) -> ConversationOut:
    return ConversationOut.model_validate(get_conversation_for(db, who, conversation_id))


@router.post(
    "/conversations/{conversation_id}/messages",
    status_code=status.HTTP_201_CREATED,
    response_model=MessageOut,
)
async def post_message(conversation_id: str, body: PostMessage, request: Request) -> Response:
    """Send a message. The same ``client_msg_id`` again returns the stored message (200).

    A text message with a conversation token goes through the fast intake
    (yiwen.conversations.intake) when reactions are deferred; anything else, or
    ``message_reactions = "inline"``, through the ordinary transaction.
    """
    settings: Settings = request.app.state.settings
    token = request.headers.get(CONVERSATION_TOKEN_HEADER) or bearer_token(request)
    fast = (
        settings.message_reactions == "deferred"
        and not body.attachment_ids
        and token is not None
        and not request.headers.get(SHOP_TOKEN_HEADER)
    )
    if fast and token is not None:
        intake: MessageIntake = request.app.state.intake
        if await intake.conversation_of(token) != conversation_id:
            raise NotFound("conversation_not_found")
        accepted = await intake.submit(conversation_id, body.body, body.client_msg_id)
        stored, created = MessageOut.model_validate(accepted.message), accepted.created
    else:
        stored, created = await run_in_threadpool(
            _post_in_transaction, request, conversation_id, body
        )
    # Serialised once, here: the busiest route skips FastAPI's second validation of the
    # model it was handed.
    return Response(
        stored.model_dump_json(by_alias=True),
        status_code=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        media_type="application/json",
    )


def _post_in_transaction(
    request: Request, conversation_id: str, body: PostMessage
) -> tuple[MessageOut, bool]:
    """The ordinary path: one transaction for this message (and, inline, its reactions)."""
    state = request.app.state
    settings: Settings = state.settings
    database: Database = state.database
    with database.transaction() as db:
        who = current_customer(request, db, state.clock, settings)
        conversation = get_conversation_for(db, who, conversation_id)
        message, created = service.post_customer_message(
            db,
            state.clock,
            conversation,
            body=body.body,
            client_msg_id=body.client_msg_id,
            attachment_ids=body.attachment_ids,
            max_chars=settings.message_max_chars,
            defer_reactions=settings.message_reactions == "deferred",
        )
        return MessageOut.model_validate(message), created


@router.get("/conversations/{conversation_id}/messages")
def list_messages(
    conversation_id: str,
    db: DbSession,
    who: CurrentCustomer,
    after: Annotated[int | None, Query(ge=0, le=2**62)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> MessagePage:
    conversation = get_conversation_for(db, who, conversation_id)
    items, next_cursor = service.list_messages(db, conversation.id, after=after, limit=limit)
    return MessagePage(items=[MessageOut.model_validate(m) for m in items], next_cursor=next_cursor)


@router.post("/conversations/{conversation_id}/attachments", status_code=status.HTTP_201_CREATED)
def upload_attachment(
    conversation_id: str,
    file: UploadFile,
    db: DbSession,
    clock: AppClock,
    settings: AppSettings,
    who: CurrentCustomer,
) -> AttachmentOut:
    """Upload an image, PDF or text file (≤ 10 MB, type judged from the content)."""
    conversation = get_conversation_for(db, who, conversation_id)
    attachment = store_attachment(
        db,
        clock,
        FileStore(settings.upload_dir),
        file.file,
        filename=file.filename,
        limit=settings.upload_max_bytes,
        customer_id=conversation.customer_id,
        uploaded_by_type="customer",
        uploaded_by_id=conversation.customer_id,
        conversation_id=conversation.id,
    )
    return AttachmentOut.model_validate(attachment)


@router.get("/attachments/{attachment_id}", response_class=FileResponse)
def download_attachment(
    attachment_id: str, db: DbSession, settings: AppSettings, who: CurrentCustomer
) -> FileResponse:
    attachment = get_attachment(db, attachment_id)
    if attachment.customer_id != who.customer_id:
        raise NotFound("attachment_not_found")
    if who.conversation_id is not None and attachment.conversation_id not in (
        None,
        who.conversation_id,
    ):
        raise NotFound("attachment_not_found")
    return attachment_response(settings.upload_dir, attachment)


@router.websocket("/conversations/{conversation_id}/ws")
async def conversation_stream(websocket: WebSocket, conversation_id: str) -> None:
    """Stream new public messages and ticket updates of one conversation.

    Authenticate with ``?token=<conversation token>`` (browsers cannot set
    headers on WebSocket requests) or ``?shop_token=…``. After a reconnect,
    fetch missed messages with ``GET …/messages?after=<last id>``.
    """
    state = websocket.app.state
    database: Database = state.database

    def authorise() -> None:
        with database.transaction() as db:
            who = _socket_principal(websocket, db, state.clock, state.settings)
            get_conversation_for(db, who, conversation_id)

    try:
        # In a worker thread: the SQLite writer lock must never be awaited on the event
        # loop, or a request holding it while it needs the loop would never finish.
        await run_in_threadpool(authorise)
    except DomainError:
        await websocket.close(code=4401)
        return
    await stream_topic(websocket, state.hub, conversation_topic(conversation_id))


def _socket_principal(
    websocket: WebSocket, db: Session, clock: Clock, settings: Settings
) -> CustomerPrincipal:
    shop_token = websocket.query_params.get("shop_token")
    if shop_token:
        return principal_from_shop_token(
            db, clock, settings.resolved_shop_token_secret(), shop_token
        )
    token = websocket.query_params.get("token")
    if token:
        return principal_from_conversation_token(db, token)
    raise Unauthenticated("customer_token_missing")
