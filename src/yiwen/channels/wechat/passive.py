"""The passive reply: the bot's answer returned in the HTTP response to WeChat's push.

WeChat waits five seconds for the response to a push; an answer given in it
reaches the customer at once and costs no API call. Replies reach the outbox
like any other (the notify rules queue a ``channel`` row for every public bot
or agent message), so an answer carried passively must not also go out by the
customer-service API. This module settles exactly those rows as sent, in one
transaction that locks them (``FOR UPDATE`` on PostgreSQL, the single writer
on SQLite): a row the worker has already claimed is left to the worker and
its text is not repeated in the passive reply. Either way each reply reaches
the customer once. A passive reply is one message: an answer that is one
picture alone goes as an image reply (uploaded between two transactions,
never inside one); text with files is left to the outbox, which keeps order.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from yiwen.conversations.models import Conversation, Message
from yiwen.core.clock import Clock
from yiwen.core.db import Database
from yiwen.notify.models import OutboxEntry
from yiwen.notify.outbox import mark_sent

# Measured from the push's arrival, leaving WeChat's 5 s room for the network.
DEFAULT_BUDGET_SECONDS = 3.5
POLL_SECONDS = 0.1
# Marks a row settled by a passive reply, with the push it answered.
PASSIVE_MARK = "passive_reply_to"
# A passive text reply holds at most 2,048 bytes.
PASSIVE_TEXT_BYTES = 2000


@dataclass(frozen=True)
class PassiveAnswer:
    """What the response carries: text, or one picture by its media id."""

    text: str = ""
    image_media_id: str = ""


@dataclass(frozen=True)
class ImageNeeded:
    """The answer is one picture: upload it (outside the transaction), then settle again."""

    attachment_id: str


@dataclass(frozen=True)
class PendingAnswer:
    conversation_id: str
    after_message_id: int
    push_key: str


def reply_outbox_key(message_id: int) -> str:
    """The outbox key the notify rules give a reply's channel delivery."""
    return f"message:{message_id}:channel"


def wait_for_answer(
    database: Database,
    clock: Clock,
    pending: PendingAnswer,
    *,
    deadline: float,
    bot_answers: bool,
    upload_image: Callable[[str], str | None] = lambda _attachment_id: None,
    monotonic: Callable[[], float] = time.monotonic,
) -> PassiveAnswer | None:
    """The answer to reply with, taken from the outbox; None when nothing came in time.

    The bot takes its turn right after the customer's message commits; waiting
    is only worth it while the conversation is still the bot's (a bot running
    elsewhere may be a moment late); a conversation with humans is answered
    by the customer-service API later. ``upload_image`` turns an attachment
    id into a media id (None when it cannot): a passive reply holds one
    message, so only an answer that is one picture alone goes as a picture.
    """
    media_ids: dict[str, str] = {}
    while monotonic() < deadline:
        with database.transaction() as db:
            outcome = settle_answer(db, clock, pending, media_ids)
            with_bot = _with_bot(db, pending.conversation_id)
        if isinstance(outcome, ImageNeeded):
            media_id = upload_image(outcome.attachment_id)
            if media_id is None or monotonic() >= deadline:
                return None  # the outbox sends it by the customer-service API
            media_ids[outcome.attachment_id] = media_id
            continue
        if outcome is not None:
            return outcome
        if not (bot_answers and with_bot):
            return None
        time.sleep(POLL_SECONDS)
    # Too late to answer in the response (a slow bot turn, a slow image download).
    return None


def settle_answer(
    db: Session, clock: Clock, pending: PendingAnswer, media_ids: dict[str, str] | None = None
) -> PassiveAnswer | ImageNeeded | None:
    """Take the replies after the customer's message off the outbox; their joined text.

    A row already settled for this same push counts again: WeChat pushes again
    only when it did not get the first response, so the customer has not seen it.
    Replies with files are left to the outbox, except one reply that is a
    single file and nothing else: with its media id known it is settled as a
    picture, else :class:`ImageNeeded` asks for the upload.
    """
    replies = db.scalars(
        select(Message)
        .where(
            Message.conversation_id == pending.conversation_id,
            Message.id > pending.after_message_id,
            Message.visibility == "public",
            Message.sender_type.in_(("bot", "agent")),
        )
        .order_by(Message.id)
    )
    texts: list[str] = []
    settle: list[OutboxEntry] = []
    files: list[str] = []
    bodies: list[str] = []
    for message in replies:
        files.extend(message.attachment_ids or [])
        bodies.append(message.body.strip())
        query = select(OutboxEntry).where(
            OutboxEntry.idempotency_key == reply_outbox_key(message.id)
        )
        if db.get_bind().dialect.name == "postgresql":
            query = query.with_for_update()
        row = db.scalar(query)
        if row is None:
            # Nothing queued (no push adapter configured): the passive reply is its only way.
            texts.append(message.body)
        elif row.status == "pending":
            settle.append(row)
            texts.append(str(row.payload.get("text") or message.body))
        elif row.status == "sent" and row.payload.get(PASSIVE_MARK) == pending.push_key:
            texts.append(str(row.payload.get("text") or message.body))
    answer = "\n\n".join(text for text in texts if text.strip())
    if files:
        if len(texts) != 1 or bodies != [""] or len(files) != 1:
            return None  # text with files, or several files: the outbox sends them in order
        media_id = (media_ids or {}).get(files[0])
        if media_id is None:
            return ImageNeeded(files[0])
        result = PassiveAnswer(image_media_id=media_id)
    elif not texts or len(answer.encode()) > PASSIVE_TEXT_BYTES:
        return None  # too long for one passive text: the outbox sends it in parts
    else:
        result = PassiveAnswer(text=answer)
    for row in settle:
        mark_sent(db, clock, row.id)
        row.payload = {**row.payload, PASSIVE_MARK: pending.push_key}
    db.flush()
    return result


def _with_bot(db: Session, conversation_id: str) -> bool:
    conversation = db.get(Conversation, conversation_id)
    return conversation is not None and conversation.status == "bot"
