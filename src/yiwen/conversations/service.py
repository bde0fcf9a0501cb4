"""Starting conversations and writing and reading their messages."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from yiwen.attachments.service import get_customer_attachments
from yiwen.conversations.models import Conversation, Message
from yiwen.conversations.ordering import hold_message_order
from yiwen.core.clock import Clock
from yiwen.core.errors import Conflict, Gone, InvalidInput, NotFound
from yiwen.core.events import call_after_commit, emit
from yiwen.core.i18n import register_messages
from yiwen.core.ids import hash_token, new_token
from yiwen.customers.models import Customer

register_messages(
    {
        "message_empty": ("消息内容不能为空", "A message needs text or an attachment"),
        "message_too_long": (
            "消息过长（最多 {limit} 字）",
            "The message is too long (at most {limit} characters)",
        ),
        "client_msg_id_reused": (
            "该消息编号已用于另一条内容不同的消息",
            "This client_msg_id was used for another message",
        ),
        "conversation_closed": ("会话已结束，请发起新的会话", "The conversation is closed"),
        "conversation_archived": (
            "该会话已超过保留期限并归档，请发起新的会话",
            "This conversation has been archived; please start a new one",
        ),
    }
)

PREVIEW_CHARS = 100
# Session.info key of the callable that wakes this process's message pipeline; the app
# puts it in its database's context (yiwen.web.app), tools and the worker do without.
PIPELINE_WAKE = "message_pipeline_wake"
# Session.info key of the callable that shows a just-stored message to realtime clients
# (the app's hub); the pipeline's later ``message.created`` is marked as announced.
ANNOUNCE_MESSAGE = "message_announce"


def message_payload(message: Message) -> dict[str, object]:
    """The JSON shape of a message, as the API and the realtime stream send it."""
    return {
        "id": message.id,
        "conversation_id": message.conversation_id,
        "sender_type": message.sender_type,
        "sender_name": message.sender_name,
        "body": message.body,
        "visibility": message.visibility,
        "client_msg_id": message.client_msg_id,
        "attachment_ids": list(message.attachment_ids or []),
        "ticket_id": message.ticket_id,
        "created_at": message.created_at.isoformat(),
    }


def start_conversation(
    db: Session, clock: Clock, customer: Customer, *, channel: str
) -> tuple[Conversation, str]:
    """A new conversation and the token the customer keeps to come back to it."""
    now = clock.now()
    token = new_token()
    conversation = Conversation(
        customer_id=customer.id,
        channel=channel,
        status="waiting",
        token_hash=hash_token(token),
        last_message_at=now,
        created_at=now,
        updated_at=now,
    )
    db.add(conversation)
    db.flush()
    emit(db, "conversation.started", conversation_id=conversation.id, customer_id=customer.id)
    return conversation, token


def get_conversation(db: Session, conversation_id: str) -> Conversation:
    conversation = db.get(Conversation, conversation_id)
    if conversation is None:
        raise NotFound("conversation_not_found")
    return conversation


def check_not_archived(conversation: Conversation) -> None:
    """An archived conversation takes no new message; the writer starts a new conversation."""
    if conversation.archived_at is not None:
        raise Gone("conversation_archived")


def check_message_body(body: str, has_attachments: bool, limit: int) -> str:
    text = body.strip()
    if not text and not has_attachments:
        raise InvalidInput("message_empty")
    if len(text) > limit:
        raise InvalidInput("message_too_long", limit=limit)
    return text


def post_customer_message(
    db: Session,
    clock: Clock,
    conversation: Conversation,
    *,
    body: str,
    client_msg_id: str,
    attachment_ids: list[str],
    max_chars: int,
    defer_reactions: bool = False,
) -> tuple[Message, bool]:
    """Store a customer's message once per ``client_msg_id``; returns (message, created).

    Widgets resend after a lost connection; the second copy must return the
    first, not store a duplicate. The same id with other content is a client bug.

    With ``defer_reactions`` only the message and its conversation's counters are
    written here; ``message.created`` and everything that reacts to it (SLA clocks,
    routing, search, notifications, the bot) follow in the message pipeline
    (yiwen.conversations.pipeline), which this transaction wakes when it commits.
    """
    text = check_message_body(body, bool(attachment_ids), max_chars)
    check_not_archived(conversation)
    if conversation.status == "closed":
        existing = _find_by_client_id(db, conversation.id, client_msg_id)
        if existing is not None:
            return _check_replay(existing, text, attachment_ids), False
        raise Conflict("conversation_closed")
    get_customer_attachments(db, conversation.customer_id, attachment_ids)
    previous_id = hold_message_order(db, conversation.id)
    message = _insert_once(
        db,
        conversation_id=conversation.id,
        sender_type="customer",
        sender_id=conversation.customer_id,
        sender_name=None,
        body=text,
        visibility="public",
        client_msg_id=client_msg_id,
        attachment_ids=list(attachment_ids),
        ticket_id=None,
        created_at=clock.now(),
        reactions_pending=defer_reactions,
        reactions_attempts=0,
    )
    if message is None:
        # Stored before (a resend), or by a concurrent copy that won the race.
        existing = _find_by_client_id(db, conversation.id, client_msg_id)
        if existing is None:
            raise Conflict("client_msg_id_reused")
        return _check_replay(existing, text, attachment_ids), False
    if defer_reactions:
        wake = db.info.get(PIPELINE_WAKE)
        if callable(wake):
            call_after_commit(db, wake)
        announce = db.info.get(ANNOUNCE_MESSAGE)
        if callable(announce):
            payload = message_payload(message)
            call_after_commit(db, lambda: announce(payload, conversation.customer_id, previous_id))
        return message, True
    customer_wrote(conversation, message)
    emit(
        db,
        "message.created",
        message=message_payload(message),
        customer_id=conversation.customer_id,
        previous_id=previous_id,
    )
    return message, True


def _insert_once(db: Session, **values: object) -> Message | None:
    """INSERT the message unless its (conversation, client_msg_id) exists: one statement,
    no savepoint; ``None`` when it existed."""
    insert = sqlite_insert if db.get_bind().dialect.name == "sqlite" else postgresql_insert
    statement = (
        insert(Message)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["conversation_id", "client_msg_id"])
        .returning(Message)
    )
    return db.scalars(statement).first()


def post_staff_message(
    db: Session,
    clock: Clock,
    conversation: Conversation,
    *,
    sender_type: str,
    sender_id: str | None,
    sender_name: str | None,
    body: str,
    max_chars: int,
    visibility: str = "public",
    ticket_id: str | None = None,
    attachment_ids: list[str] | None = None,
) -> Message:
    """A reply or internal note from an agent, the bot or the system."""
    check_not_archived(conversation)
    text = check_message_body(body, bool(attachment_ids), max_chars)
    previous_id = hold_message_order(db, conversation.id)
    message = Message(
        conversation_id=conversation.id,
        sender_type=sender_type,
        sender_id=sender_id,
        sender_name=sender_name,
        body=text,
        visibility=visibility,
        ticket_id=ticket_id,
        attachment_ids=list(attachment_ids or []),
        created_at=clock.now(),
    )
    db.add(message)
    db.flush()
    if visibility == "public":
        _touch(conversation, message, from_customer=False)
    emit(
        db,
        "message.created",
        message=message_payload(message),
        customer_id=conversation.customer_id,
        previous_id=previous_id,
    )
    return message


def list_messages(
    db: Session,
    conversation_id: str,
    *,
    after: int | None = None,
    limit: int = 50,
    include_internal: bool = False,
) -> tuple[list[Message], int | None]:
    """Messages oldest first after the cursor ``after`` (a message id); returns the next cursor."""
    query = select(Message).where(Message.conversation_id == conversation_id)
    if not include_internal:
        query = query.where(Message.visibility == "public")
    if after is not None:
        query = query.where(Message.id > after)
    rows = list(db.scalars(query.order_by(Message.id).limit(limit + 1)))
    has_more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].id if has_more and rows else None)


def mark_read_by_staff(db: Session, conversation: Conversation) -> None:
    db.execute(
        update(Conversation).where(Conversation.id == conversation.id).values(unread_for_staff=0)
    )


def _find_by_client_id(db: Session, conversation_id: str, client_msg_id: str) -> Message | None:
    return db.scalar(
        select(Message).where(
            Message.conversation_id == conversation_id, Message.client_msg_id == client_msg_id
        )
    )


def _check_replay(existing: Message, text: str, attachment_ids: list[str]) -> Message:
    if existing.body != text or list(existing.attachment_ids or []) != list(attachment_ids):
        raise Conflict("client_msg_id_reused")
    return existing


def customer_wrote(conversation: Conversation, message: Message) -> None:
    """What a customer's message changes on its conversation: the preview, the unread
    count, and a resolved conversation reopens (to its agent, or to the queue)."""
    _touch(conversation, message, from_customer=True)
    if conversation.status == "resolved":
        conversation.status = "waiting" if conversation.assignee_id is None else "open"


def _touch(conversation: Conversation, message: Message, *, from_customer: bool) -> None:
    conversation.last_message_at = message.created_at
    conversation.updated_at = message.created_at
    preview = message.body or "[附件]"
    conversation.last_message_preview = preview[:PREVIEW_CHARS]
    if from_customer:
        conversation.unread_for_staff = (conversation.unread_for_staff or 0) + 1
