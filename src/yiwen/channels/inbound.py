"""One inbound message from any channel: deduplicated, attached to the customer's conversation.

Platforms redeliver (WeChat retries three times when the answer is slow,
Telegram until it gets a 200, IMAP after a crash), so the first thing stored is
a receipt keyed by the account and the platform's message id; a second delivery
finds it and stores nothing. Everything happens in the caller's transaction.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from yiwen.attachments.service import FileStore, store_attachment
from yiwen.channels.models import ChannelAccount, InboundReceipt
from yiwen.channels.protocol import InboundMessage
from yiwen.conversations.models import Conversation
from yiwen.conversations.service import post_customer_message, start_conversation
from yiwen.core.clock import Clock
from yiwen.core.errors import DomainError
from yiwen.core.settings import Settings
from yiwen.customers.models import Customer
from yiwen.customers.service import find_or_create_customer

log = logging.getLogger("yiwen.channels")

# Shown in the conversation when a message carries nothing Yiwen can show as text.
FALLBACK_TEXT = {
    "image": "[图片]",
    "voice": "[语音]",
    "file": "[文件]",
    "sticker": "[表情]",
    "event": "[事件]",
    "location": "[位置]",
    "link": "[链接]",
}
# Channels whose user ids are global (an email address), not scoped to one account.
GLOBAL_IDENTITY_CHANNELS = frozenset({"email"})


@dataclass(frozen=True)
class Received:
    customer_id: str
    conversation_id: str
    message_id: int | None
    duplicate: bool


def identity_key(account: ChannelAccount, external_user_id: str) -> str:
    """The customer identity's external id: scoped to the account where ids are per-app.

    A WeChat openid, a WeCom external_userid or a Telegram chat means something
    only to the account that received it, and replies must go out through that
    same account, so the identity carries the account id.
    """
    if account.channel in GLOBAL_IDENTITY_CHANNELS:
        return external_user_id.strip().lower()
    return f"{account.id}:{external_user_id}"


def split_identity_key(key: str) -> tuple[str, str]:
    """(account id, user id) from an account-scoped identity key."""
    account_id, _, user_id = key.partition(":")
    return account_id, user_id


def receive(
    db: Session,
    clock: Clock,
    settings: Settings,
    account: ChannelAccount,
    inbound: InboundMessage,
    *,
    conversation_id: str | None = None,
) -> Received:
    """Store ``inbound`` once, in the customer's open conversation on this account.

    ``conversation_id`` lets a channel that threads (email by In-Reply-To or a
    ticket number) name the conversation itself; it must belong to the same
    customer, or it is ignored.
    """
    existing = _receipt(db, account.id, inbound.external_msg_id)
    if existing is not None:
        return _duplicate(db, existing)
    receipt = InboundReceipt(
        account_id=account.id,
        external_msg_id=inbound.external_msg_id[:200],
        received_at=clock.now(),
    )
    try:
        with db.begin_nested():
            db.add(receipt)
            db.flush()
    except IntegrityError:
        raced = _receipt(db, account.id, inbound.external_msg_id)
        if raced is None:
            raise
        return _duplicate(db, raced)

    customer = find_or_create_customer(
        db,
        clock,
        channel=account.channel,
        external_id=identity_key(account, inbound.external_user_id),
        display_name=inbound.display_name,
        # The platform vouches for who sent it (its signature was checked).
        verified=True,
    )
    conversation = _conversation_for(db, clock, account, customer, conversation_id)
    attachment_ids, notes = _store_media(db, clock, settings, customer, conversation, inbound)
    text = _body(inbound, notes)
    message, _created = post_customer_message(
        db,
        clock,
        conversation,
        body=text[: settings.message_max_chars],
        client_msg_id=f"ch:{inbound.external_msg_id}"[:64],
        attachment_ids=attachment_ids,
        max_chars=settings.message_max_chars,
    )
    receipt.conversation_id = conversation.id
    receipt.message_id = message.id
    return Received(customer.id, conversation.id, message.id, duplicate=False)


def open_conversation_of(db: Session, account_id: str, customer_id: str) -> Conversation | None:
    """The customer's newest conversation on this account that is not closed (nor archived)."""
    return db.scalar(
        select(Conversation)
        .where(
            Conversation.customer_id == customer_id,
            Conversation.channel_account_id == account_id,
            Conversation.status != "closed",
            Conversation.archived_at.is_(None),
        )
        .order_by(Conversation.last_message_at.desc())
        .limit(1)
    )


def _conversation_for(
    db: Session,
    clock: Clock,
    account: ChannelAccount,
    customer: Customer,
    conversation_id: str | None,
) -> Conversation:
    if conversation_id is not None:
        named = db.get(Conversation, conversation_id)
        if (
            named is not None
            and named.customer_id == customer.id
            and named.status != "closed"
            and named.archived_at is None
        ):
            return named
    current = open_conversation_of(db, account.id, customer.id)
    if current is not None:
        return current
    conversation, _token = start_conversation(db, clock, customer, channel=account.channel)
    conversation.channel_account_id = account.id
    return conversation


def _store_media(
    db: Session,
    clock: Clock,
    settings: Settings,
    customer: Customer,
    conversation: Conversation,
    inbound: InboundMessage,
) -> tuple[list[str], list[str]]:
    """Attachments saved as evidence; what could not be kept is named in the text instead."""
    ids: list[str] = []
    notes: list[str] = []
    files = FileStore(settings.upload_dir)
    for media in inbound.media:
        try:
            with db.begin_nested():
                attachment = store_attachment(
                    db,
                    clock,
                    files,
                    io.BytesIO(media.data),
                    filename=media.filename,
                    limit=settings.upload_max_bytes,
                    customer_id=customer.id,
                    uploaded_by_type="customer",
                    uploaded_by_id=customer.id,
                    conversation_id=conversation.id,
                )
        except DomainError as exc:
            log.info("inbound attachment %r not kept: %s", media.filename, exc)
            notes.append(f"[附件未保存：{media.filename}]")
            continue
        ids.append(attachment.id)
    return ids, notes


def _body(inbound: InboundMessage, notes: list[str]) -> str:
    text = inbound.text.strip() or FALLBACK_TEXT.get(inbound.kind, "")
    return "\n".join([text, *notes]) if notes else text


def _receipt(db: Session, account_id: str, external_msg_id: str) -> InboundReceipt | None:
    return db.scalar(
        select(InboundReceipt).where(
            InboundReceipt.account_id == account_id,
            InboundReceipt.external_msg_id == external_msg_id[:200],
        )
    )


def _duplicate(db: Session, receipt: InboundReceipt) -> Received:
    conversation = (
        db.get(Conversation, receipt.conversation_id) if receipt.conversation_id else None
    )
    return Received(
        customer_id=conversation.customer_id if conversation else "",
        conversation_id=receipt.conversation_id or "",
        message_id=receipt.message_id,
        duplicate=True,
    )
