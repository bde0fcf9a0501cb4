"""Replies by SMTP from the mailbox the customer wrote to, threaded into their mail.

The dispatcher calls :meth:`EmailSender.prepare` inside a transaction before
each attempt: it finds the conversation, answers the customer's last mail
(In-Reply-To, References), keeps the thread's subject ("Re: <subject>
[<ticket no.>]"), adds the message's attachments, and records the Message-ID
it will use. That Message-ID is an HMAC of the delivery's idempotency key, so
a retried send carries the same one and a mail client shows it once.

Loops are broken here too: at most ``max_replies_per_hour`` mails (10 by
default) go to one address per hour, and nothing more goes to an address whose
last mail bounced until the customer writes again.
"""

from __future__ import annotations

import hashlib
import hmac
import mimetypes
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formataddr, formatdate
from pathlib import Path

import aiosmtplib
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yiwen.attachments.models import Attachment
from yiwen.attachments.service import FileStore
from yiwen.channels.email import messages as _messages  # noqa: F401  (registers the texts)
from yiwen.channels.email.intake import clean_subject
from yiwen.channels.email.models import EmailRecord
from yiwen.channels.links import as_html, as_plain_text, find_links
from yiwen.channels.protocol import AccountView, OutboundAttachment, OutboundMessage
from yiwen.conversations.models import Conversation, Message
from yiwen.core.aio import run_blocking
from yiwen.core.clock import Clock
from yiwen.core.db import Database
from yiwen.core.i18n import translate
from yiwen.core.settings import Settings
from yiwen.notify.addresses import is_email, one_line
from yiwen.notify.protocol import PermanentError, RetriableError
from yiwen.tickets.models import Ticket

DEFAULT_MAX_REPLIES_PER_HOUR = 10
MAX_REFERENCES = 10
TLS_MODES = ("ssl", "starttls", "none")


def outbound_message_id(secret: str, idempotency_key: str, from_address: str) -> str:
    """Stable for one delivery (retries share it), unguessable (a forged reply threads nowhere)."""
    digest = hmac.new(secret.encode(), idempotency_key.encode(), hashlib.sha256).hexdigest()
    domain = from_address.rpartition("@")[2] or "yiwen.invalid"
    return f"<yiwen.{digest[:32]}@{domain}>"


def reply_subject(original: str, ticket_number: str | None, ticket_prefix: str) -> str:
    subject = clean_subject(original, ticket_prefix) or translate("email.subject.default")
    tag = f" [{ticket_number}]" if ticket_number else ""
    return f"Re: {subject}{tag}"


class EmailSender:
    channel = "email"

    def __init__(self, settings: Settings, clock: Clock) -> None:
        self.settings = settings
        self.clock = clock

    def prepare(
        self,
        db: Session,
        account: AccountView,
        external_user_id: str,
        message: OutboundMessage,
        *,
        idempotency_key: str,
    ) -> OutboundMessage:
        """The message with its thread: subject, headers and attachments (see the module doc)."""
        address = external_user_id.strip().lower()
        if not is_email(address):
            raise PermanentError(f"invalid recipient address {external_user_id!r}")
        from_address = _from_address(account)
        message_id = outbound_message_id(
            self.settings.resolved_secret(), idempotency_key, from_address
        )
        self._check_not_looping(db, account, address, message_id)
        source = _source_message(db, idempotency_key)
        conversation = _conversation(db, account.id, address, idempotency_key, source)
        headers = {"Message-ID": message_id}
        subject = reply_subject("", None, self.settings.ticket_number_prefix)
        if conversation is not None:
            inbound = _customer_message_ids(db, conversation.id)
            if inbound:
                headers["In-Reply-To"] = inbound[-1]
                headers["References"] = " ".join(_references(inbound))
            subject = reply_subject(
                _thread_subject(db, conversation.id),
                _ticket_number(db, conversation.id, source),
                self.settings.ticket_number_prefix,
            )
        automatic = _automatic(source, idempotency_key)
        if automatic:
            headers["Auto-Submitted"] = automatic
        self._remember(db, account.id, address, message_id, conversation, subject)
        return OutboundMessage(
            text=message.text,
            attachments=message.attachments or self._attachments(db, source),
            subject=subject,
            headers=headers,
        )

    def send(
        self,
        account: AccountView,
        external_user_id: str,
        message: OutboundMessage,
        *,
        idempotency_key: str,
    ) -> None:
        mail = self.build_mail(account, external_user_id, message, idempotency_key=idempotency_key)
        try:
            run_blocking(lambda: self._send(account, mail, external_user_id))
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [refusal.code for refusal in exc.recipients]
            if all(code >= 500 for code in codes):
                raise PermanentError(f"recipient refused: {codes}") from exc
            raise RetriableError(f"recipient deferred: {codes}") from exc
        except aiosmtplib.SMTPResponseException as exc:
            if exc.code >= 500 and not isinstance(exc, aiosmtplib.SMTPAuthenticationError):
                raise PermanentError(f"smtp {exc.code}: {exc.message}") from exc
            raise RetriableError(f"smtp {exc.code}: {exc.message}") from exc
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise RetriableError(f"smtp unavailable: {type(exc).__name__}: {exc}") from exc

    def build_mail(
        self,
        account: AccountView,
        external_user_id: str,
        message: OutboundMessage,
        *,
        idempotency_key: str,
    ) -> EmailMessage:
        address = external_user_id.strip().lower()
        if not is_email(address):
            raise PermanentError(f"invalid recipient address {external_user_id!r}")
        from_address = _from_address(account)
        mail = EmailMessage()
        mail["From"] = formataddr((one_line(account.name), from_address))
        mail["To"] = address
        mail["Subject"] = one_line(
            message.subject or reply_subject("", None, self.settings.ticket_number_prefix)
        )
        mail["Date"] = formatdate(self.clock.now().timestamp(), localtime=False)
        headers = dict(message.headers)
        mail["Message-ID"] = headers.pop("Message-ID", "") or outbound_message_id(
            self.settings.resolved_secret(), idempotency_key, from_address
        )
        for name, value in headers.items():
            mail[name] = one_line(value)
        text = message.text or " "
        mail.set_content(as_plain_text(text), charset="utf-8")
        if find_links(text):
            # Mail clients show the HTML part: links as <a>, every other character escaped.
            mail.add_alternative(_html_body(text), subtype="html", charset="utf-8")
        for attachment in message.attachments:
            try:
                data = Path(attachment.path).read_bytes()
            except OSError as exc:
                raise PermanentError(f"attachment {attachment.filename!r} is missing") from exc
            maintype, _, subtype = (attachment.content_type or "").partition("/")
            if not maintype or not subtype:
                maintype, subtype = "application", "octet-stream"
            mail.add_attachment(
                data, maintype=maintype, subtype=subtype, filename=attachment.filename
            )
        return mail

    def _check_not_looping(
        self, db: Session, account: AccountView, address: str, message_id: str
    ) -> None:
        if db.scalar(select(EmailRecord.id).where(EmailRecord.message_id == message_id)):
            return  # a retry of a mail already counted
        last_out = db.scalar(
            select(EmailRecord)
            .where(EmailRecord.address == address, EmailRecord.direction == "out")
            .order_by(EmailRecord.created_at.desc())
            .limit(1)
        )
        if last_out is not None and last_out.status == "bounced":
            wrote_since = db.scalar(
                select(EmailRecord.id).where(
                    EmailRecord.address == address,
                    EmailRecord.direction == "in",
                    EmailRecord.kind == "message",
                    EmailRecord.created_at > last_out.created_at,
                )
            )
            if wrote_since is None:
                raise PermanentError(f"{address} bounced the last mail; held until they write")
        limit = self._reply_limit(account)
        sent = db.scalar(
            select(func.count())
            .select_from(EmailRecord)
            .where(
                EmailRecord.address == address,
                EmailRecord.direction == "out",
                EmailRecord.created_at > self.clock.now() - timedelta(hours=1),
            )
        )
        if (sent or 0) >= limit:
            raise PermanentError(
                f"reply limit of {limit} mails an hour to {address} reached (mail loop?)"
            )

    @staticmethod
    def _reply_limit(account: AccountView) -> int:
        value = account.config.get("max_replies_per_hour")
        try:
            return int(str(value)) if value not in (None, "") else DEFAULT_MAX_REPLIES_PER_HOUR
        except ValueError:
            return DEFAULT_MAX_REPLIES_PER_HOUR

    def _remember(
        self,
        db: Session,
        account_id: str,
        address: str,
        message_id: str,
        conversation: Conversation | None,
        subject: str,
    ) -> None:
        if db.scalar(select(EmailRecord.id).where(EmailRecord.message_id == message_id)):
            return
        db.add(
            EmailRecord(
                account_id=account_id,
                message_id=message_id,
                direction="out",
                kind="reply",
                conversation_id=conversation.id if conversation else None,
                address=address,
                subject=subject[:500],
                created_at=self.clock.now(),
            )
        )
        db.flush()

    def _attachments(self, db: Session, source: Message | None) -> tuple[OutboundAttachment, ...]:
        if source is None or not source.attachment_ids:
            return ()
        files = FileStore(self.settings.upload_dir)
        rows = db.scalars(select(Attachment).where(Attachment.id.in_(source.attachment_ids)))
        return tuple(
            OutboundAttachment(
                filename=row.filename,
                content_type=row.content_type
                or mimetypes.guess_type(row.filename)[0]
                or "application/octet-stream",
                path=str(files.path_for(row.sha256)),
            )
            for row in rows
        )

    async def _send(self, account: AccountView, mail: EmailMessage, recipient: str) -> None:
        tls = account.setting("smtp_tls", "ssl").lower()
        if tls not in TLS_MODES:
            raise PermanentError(f"smtp_tls must be one of {', '.join(TLS_MODES)}")
        host = account.setting("smtp_host")
        if not host:
            raise PermanentError("smtp_host is not set on the email account")
        try:
            port = int(account.setting("smtp_port", "465" if tls == "ssl" else "587"))
        except ValueError as exc:
            raise PermanentError("smtp_port is not a number") from exc
        username = account.setting("username") or account.setting("address")
        password = account.secret("password")
        await aiosmtplib.send(
            mail,
            sender=_from_address(account),
            recipients=[recipient.strip().lower()],
            hostname=host,
            port=port,
            username=username if password else None,
            password=password or None,
            use_tls=tls == "ssl",
            start_tls=tls == "starttls",
            timeout=self.settings.smtp_timeout_seconds,
        )


def build_sender(settings: Settings, clock: Clock, database: Database) -> EmailSender:
    return EmailSender(settings, clock)


def _html_body(text: str) -> str:
    body = as_html(text).replace("\n", "<br>\n")
    return f'<!DOCTYPE html><html><body><div style="white-space:normal">{body}</div></body></html>'


def _from_address(account: AccountView) -> str:
    address = account.setting("address").strip()
    if not is_email(address.lower()):
        raise PermanentError("the email account has no valid address")
    return address


def _source_message(db: Session, idempotency_key: str) -> Message | None:
    """The reply this delivery carries (keys read "message:<id>:channel")."""
    kind, _, rest = idempotency_key.partition(":")
    message_id = rest.partition(":")[0]
    if kind != "message" or not message_id.isdigit():
        return None
    return db.get(Message, int(message_id))


def _conversation(
    db: Session, account_id: str, address: str, idempotency_key: str, source: Message | None
) -> Conversation | None:
    if source is not None:
        return db.get(Conversation, source.conversation_id)
    kind, _, rest = idempotency_key.partition(":")
    if kind == "ticket":
        ticket = db.get(Ticket, rest.partition(":")[0])
        if ticket is not None and ticket.conversation_id:
            return db.get(Conversation, ticket.conversation_id)
    conversation_id = db.scalar(
        select(EmailRecord.conversation_id)
        .where(
            EmailRecord.account_id == account_id,
            EmailRecord.address == address,
            EmailRecord.direction == "in",
            EmailRecord.conversation_id.is_not(None),
        )
        .order_by(EmailRecord.created_at.desc())
        .limit(1)
    )
    return db.get(Conversation, conversation_id) if conversation_id else None


def _customer_message_ids(db: Session, conversation_id: str) -> list[str]:
    """The Message-IDs of the customer's mails in the conversation, oldest first."""
    return list(
        db.scalars(
            select(EmailRecord.message_id)
            .where(
                EmailRecord.conversation_id == conversation_id,
                EmailRecord.direction == "in",
                EmailRecord.kind == "message",
                ~EmailRecord.message_id.like("<sha256.%"),
            )
            .order_by(EmailRecord.created_at, EmailRecord.id)
        )
    )


def _references(ids: list[str]) -> list[str]:
    """The thread's root and its latest mails (RFC 5322 lets long chains be shortened)."""
    if len(ids) <= MAX_REFERENCES:
        return ids
    return [ids[0], *ids[-(MAX_REFERENCES - 1) :]]


def _thread_subject(db: Session, conversation_id: str) -> str:
    subject = db.scalar(
        select(EmailRecord.subject)
        .where(
            EmailRecord.conversation_id == conversation_id,
            EmailRecord.direction == "in",
            EmailRecord.kind == "message",
            EmailRecord.subject != "",
        )
        .order_by(EmailRecord.created_at, EmailRecord.id)
        .limit(1)
    )
    return subject or ""


def _ticket_number(db: Session, conversation_id: str, source: Message | None) -> str | None:
    if source is not None and source.ticket_id:
        ticket = db.get(Ticket, source.ticket_id)
        if ticket is not None:
            return ticket.number
    return db.scalar(
        select(Ticket.number)
        .where(Ticket.conversation_id == conversation_id)
        .order_by(Ticket.created_at.desc())
        .limit(1)
    )


def _automatic(source: Message | None, idempotency_key: str) -> str:
    """RFC 3834: what a program sent says so, and other robots then do not answer it."""
    if source is None:
        return "auto-generated"  # a ticket notice
    return "auto-replied" if source.sender_type == "bot" else ""
