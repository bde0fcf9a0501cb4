"""Starting conversations and writing and reading their messages."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from yiwen.attachments.service import get_customer_attachments
from yiwen.conversations.models import Conversation, Message
from yiwen.core.clock import Clock
from yiwen.core.errors import Conflict, InvalidInput, NotFound
from yiwen.core.events import emit
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
    }
)

PREVIEW_CHARS = 100


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
) -> tuple[Message, bool]:
    """Store a customer's message once per ``client_msg_id``; returns (message, created).

    Widgets resend after a lost connection; the second copy must return the
    first, not store a duplicate. The same id with other content is a client bug.
    """
    text = check_message_body(body, bool(attachment_ids), max_chars)
    existing = _find_by_client_id(db, conversation.id, client_msg_id)
    if existing is not None:
        return _check_replay(existing, text, attachment_ids), False
    if conversation.status == "closed":
        raise Conflict("conversation_closed")
    get_customer_attachments(db, conversation.customer_id, attachment_ids)
    message = Message(
        conversation_id=conversation.id,
        sender_type="customer",
        sender_id=conversation.customer_id,
        body=text,
        client_msg_id=client_msg_id,
        attachment_ids=list(attachment_ids),
        created_at=clock.now(),
    )
    try:
        with db.begin_nested():
            db.add(message)
            db.flush()
    except IntegrityError:
        # A concurrent copy of the same message won the race: return that one.
        raced = _find_by_client_id(db, conversation.id, client_msg_id)
        if raced is None:
            raise
        return _check_replay(raced, text, attachment_ids), False
    _touch(db, conversation, message, from_customer=True)
    if conversation.status == "resolved":
        conversation.status = "waiting" if conversation.assignee_id is None else "open"
    emit(
        db,
        "message.created",
        message=message_payload(message),
        customer_id=conversation.customer_id,
    )
    return message, True


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
    text = check_message_body(body, bool(attachment_ids), max_chars)
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
        _touch(db, conversation, message, from_customer=False)
    emit(
        db,
        "message.created",
        message=message_payload(message),
        customer_id=conversation.customer_id,
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


def _touch(
    db: Session, conversation: Conversation, message: Message, *, from_customer: bool
) -> None:
    conversation.last_message_at = message.created_at
    conversation.updated_at = message.created_at
    preview = message.body or "[附件]"
    conversation.last_message_preview = preview[:PREVIEW_CHARS]
    if from_customer:
        conversation.unread_for_staff = (conversation.unread_for_staff or 0) + 1
