"""One parsed mail into Yiwen: a customer message, an internal note, or a bounce mark.

Threading, in order: a Message-ID Yiwen sent or received that the mail names
in In-Reply-To / References; the ticket number in the subject; the
customer's open email conversation (found by :func:`yiwen.channels.inbound.receive`
itself); a new conversation.

Auto-replies and bounces never become customer messages, so the bot never
sees them and nothing answers them:

- an auto-reply that belongs to a known conversation becomes an internal
  note there (the agent learns the customer is away); one that belongs to
  nothing is dropped (logged);
- a bounce marks the outbound mail it reports on as ``bounced`` (further mail
  to that address is held by the sender) and leaves an internal note.

A mailbox set up with ``purpose: "complaints"`` takes no conversations at all:
each mail is a forwarded 12315 / 黑猫投诉 notice, registered as an external
complaint (:mod:`yiwen.complaints.forwarded`).
"""

from __future__ import annotations

import logging
import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from yiwen.channels.email import messages as _messages  # noqa: F401  (registers the texts)
from yiwen.channels.email.models import EmailRecord
from yiwen.channels.email.parsing import ParsedMail
from yiwen.channels.inbound import open_conversation_of, receive
from yiwen.channels.models import ChannelAccount
from yiwen.channels.protocol import InboundMessage
from yiwen.complaints.forwarded import register_forwarded_complaint
from yiwen.conversations.models import Conversation
from yiwen.conversations.service import post_staff_message
from yiwen.core.clock import Clock
from yiwen.core.i18n import translate
from yiwen.core.settings import Settings
from yiwen.customers.service import find_by_identity
from yiwen.notify.addresses import is_email
from yiwen.store.protocol import StoreConnector
from yiwen.tickets.models import Ticket

log = logging.getLogger("yiwen.channels.email")

NOTE_EXCERPT_CHARS = 300
# A mailbox the shop forwards 12315 / 黑猫投诉 notices to: each mail is a complaint to register.
COMPLAINTS_PURPOSE = "complaints"
_REPLY_PREFIX = re.compile(r"^\s*((re|fw|fwd|aw|回复|答复|转发)\s*[:：]\s*)+", re.IGNORECASE)


def store_mail(
    db: Session,
    clock: Clock,
    settings: Settings,
    account: ChannelAccount,
    mail: ParsedMail,
    store: StoreConnector | None = None,
) -> str:
    """Store the mail once; returns what became of it (for logs and tests)."""
    if _record(db, account.id, mail.message_id) is not None:
        return "duplicate"
    if mail.kind == "bounce":
        return _bounce(db, clock, settings, account, mail)
    if (account.config or {}).get("purpose") == COMPLAINTS_PURPOSE:
        return _complaint(db, clock, settings, account, mail, store)
    own_address = str((account.config or {}).get("address", "")).strip().lower()
    if not is_email(mail.sender) or mail.sender == own_address:
        log.info("mail %s from %r ignored: no usable sender", mail.message_id, mail.sender)
        _remember(db, clock, account, mail, kind="message", conversation_id=None)
        return "ignored"
    by_headers = _thread_by_headers(db, mail)
    # A mailing-list post is automated unless it answers a mail Yiwen sent.
    if mail.kind == "auto_reply" or (mail.is_list and by_headers is None):
        return _auto_reply(db, clock, settings, account, mail, by_headers)
    thread = by_headers or _thread_by_ticket(db, settings, mail.subject)
    received = receive(
        db,
        clock,
        settings,
        account,
        InboundMessage(
            external_user_id=mail.sender,
            external_msg_id=mail.message_id,
            kind="text" if mail.text or not mail.attachments else "file",
            text=_message_text(mail, answered=by_headers is not None),
            display_name=mail.display_name,
            media=mail.attachments,
            sent_at=mail.sent_at,
            thread_keys=mail.thread_ids,
        ),
        conversation_id=thread,
    )
    _remember(db, clock, account, mail, kind="message", conversation_id=received.conversation_id)
    return "duplicate" if received.duplicate else "message"


def clean_subject(subject: str, ticket_prefix: str) -> str:
    """The subject without "Re:"/"回复：" prefixes and without Yiwen's own "[YW…]" tag."""
    text = _REPLY_PREFIX.sub("", subject)
    text = re.sub(rf"\s*\[{re.escape(ticket_prefix)}\d{{8}}-\d{{6}}\]", "", text)
    return " ".join(text.split())


def _message_text(mail: ParsedMail, *, answered: bool) -> str:
    """The body; a new thread's subject goes first, as customers write "如题" (see subject)."""
    subject = mail.subject.strip()
    if answered or not subject or _REPLY_PREFIX.match(subject) or subject in mail.text:
        return mail.text
    return f"{subject}\n{mail.text}".strip()


def _thread_by_headers(db: Session, mail: ParsedMail) -> str | None:
    ids = list(mail.thread_ids)
    if not ids:
        return None
    rows = db.execute(
        select(EmailRecord.message_id, EmailRecord.conversation_id).where(
            EmailRecord.message_id.in_(ids), EmailRecord.conversation_id.is_not(None)
        )
    ).all()
    known = {message_id: conversation_id for message_id, conversation_id in rows}
    for message_id in ids:  # nearest first
        if known.get(message_id):
            return known[message_id]
    return None


def _thread_by_ticket(db: Session, settings: Settings, subject: str) -> str | None:
    prefix = re.escape(settings.ticket_number_prefix)
    match = re.search(rf"(?<![A-Za-z0-9]){prefix}\d{{8}}-\d{{6}}(?!\d)", subject)
    if match is None:
        return None
    ticket = db.scalar(select(Ticket).where(Ticket.number == match.group(0)))
    # receive() keeps it only if the conversation is this sender's own.
    return ticket.conversation_id if ticket is not None else None


def _auto_reply(
    db: Session,
    clock: Clock,
    settings: Settings,
    account: ChannelAccount,
    mail: ParsedMail,
    by_headers: str | None,
) -> str:
    conversation = _note_target(db, account, mail.sender, by_headers)
    if conversation is None:
        log.info("auto-reply %s from %s dropped: no conversation", mail.message_id, mail.sender)
        _remember(db, clock, account, mail, kind="auto_reply", conversation_id=None)
        return "auto_reply_dropped"
    note = translate(
        "email.note.auto_reply",
        address=mail.sender,
        subject=mail.subject,
        excerpt=mail.text[:NOTE_EXCERPT_CHARS],
    )
    _note(db, clock, settings, conversation, note)
    _remember(db, clock, account, mail, kind="auto_reply", conversation_id=conversation.id)
    return "auto_reply_noted"


def _bounce(
    db: Session, clock: Clock, settings: Settings, account: ChannelAccount, mail: ParsedMail
) -> str:
    report = mail.bounce
    ids = list(report.original_message_ids) if report else list(mail.thread_ids)
    originals = (
        list(
            db.scalars(
                select(EmailRecord).where(
                    EmailRecord.message_id.in_(ids), EmailRecord.direction == "out"
                )
            )
        )
        if ids
        else []
    )
    diagnostic = (report.diagnostic if report else "") or translate("email.diagnostic.unknown")
    conversation_id: str | None = None
    for original in originals:
        original.status = "bounced"
        conversation_id = original.conversation_id or conversation_id
        log.warning("mail %s to %s bounced: %s", original.message_id, original.address, diagnostic)
        conversation = db.get(Conversation, original.conversation_id or "")
        if conversation is not None and conversation.archived_at is None:
            note = translate("email.note.bounce", address=original.address, diagnostic=diagnostic)
            _note(db, clock, settings, conversation, note)
    if not originals:
        recipients = ", ".join(report.recipients) if report else ""
        log.warning("bounce %s for %s matches no mail Yiwen sent", mail.message_id, recipients)
    _remember(db, clock, account, mail, kind="bounce", conversation_id=conversation_id)
    return "bounce"


def _complaint(
    db: Session,
    clock: Clock,
    settings: Settings,
    account: ChannelAccount,
    mail: ParsedMail,
    store: StoreConnector | None,
) -> str:
    """A forwarded complaint notice: registered (urgent, to a supervisor), never answered."""
    if store is None:
        raise RuntimeError(
            "a complaints mailbox is read by the worker job only (it needs the store)"
        )
    _complaint_row, created = register_forwarded_complaint(
        db,
        clock,
        settings,
        store,
        subject=mail.subject,
        body=mail.full_text,
        sender=mail.sender,
        message_id=mail.message_id,
    )
    _remember(db, clock, account, mail, kind="complaint", conversation_id=None)
    return "complaint" if created else "complaint_known"


def _note_target(
    db: Session, account: ChannelAccount, address: str, by_headers: str | None
) -> Conversation | None:
    if by_headers is not None:
        threaded = db.get(Conversation, by_headers)
        # An archived conversation takes no note (yiwen.retention); the log line says so.
        return threaded if threaded is None or threaded.archived_at is None else None
    customer = find_by_identity(db, "email", address)
    if customer is None:
        return None
    return open_conversation_of(db, account.id, customer.id)


def _note(
    db: Session, clock: Clock, settings: Settings, conversation: Conversation, text: str
) -> None:
    post_staff_message(
        db,
        clock,
        conversation,
        sender_type="system",
        sender_id=None,
        sender_name="邮件",
        body=text[: settings.message_max_chars],
        max_chars=settings.message_max_chars,
        visibility="internal",
    )


def _record(db: Session, account_id: str, message_id: str) -> EmailRecord | None:
    return db.scalar(
        select(EmailRecord).where(
            EmailRecord.account_id == account_id, EmailRecord.message_id == message_id[:250]
        )
    )


def _remember(
    db: Session,
    clock: Clock,
    account: ChannelAccount,
    mail: ParsedMail,
    *,
    kind: str,
    conversation_id: str | None,
) -> None:
    db.add(
        EmailRecord(
            account_id=account.id,
            message_id=mail.message_id[:250],
            direction="in",
            kind=kind,
            conversation_id=conversation_id,
            address=mail.sender[:254],
            subject=mail.subject[:500],
            created_at=clock.now(),
        )
    )
    db.flush()
