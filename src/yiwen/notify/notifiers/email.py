"""Email over SMTP (aiosmtplib): UTF-8 subject and body, Message-ID from the idempotency key.

A receiver (or the customer's mail client) that sees the same Message-ID twice
after a worker crash knows it is the same mail.
"""

from __future__ import annotations

import hashlib
from email.message import EmailMessage
from email.utils import formatdate, parseaddr

import aiosmtplib

from yiwen.core.aio import run_blocking
from yiwen.core.clock import Clock
from yiwen.core.settings import Settings
from yiwen.notify.addresses import is_email, one_line
from yiwen.notify.protocol import Delivery, PermanentError, RetriableError


def message_id(idempotency_key: str, sender: str) -> str:
    domain = parseaddr(sender)[1].rpartition("@")[2] or "yiwen.invalid"
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:40]
    return f"<{digest}@{domain}>"


class EmailNotifier:
    kind = "email"

    def __init__(self, settings: Settings, clock: Clock) -> None:
        self.settings = settings
        self.clock = clock

    def build_message(self, delivery: Delivery) -> EmailMessage:
        if not is_email(delivery.recipient):
            raise PermanentError("invalid recipient address")
        message = EmailMessage()
        message["From"] = one_line(self.settings.smtp_from)
        message["To"] = delivery.recipient
        message["Subject"] = one_line(str(delivery.payload.get("subject", "")))
        message["Date"] = formatdate(self.clock.now().timestamp(), localtime=False)
        message["Message-ID"] = message_id(delivery.idempotency_key, self.settings.smtp_from)
        message["Auto-Submitted"] = "auto-generated"
        message.set_content(str(delivery.payload.get("body", "")), charset="utf-8")
        return message

    def deliver(self, delivery: Delivery) -> None:
        message = self.build_message(delivery)
        try:
            run_blocking(lambda: self._send(message, delivery.recipient))
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

    async def _send(self, message: EmailMessage, recipient: str) -> None:
        settings = self.settings
        await aiosmtplib.send(
            message,
            sender=parseaddr(settings.smtp_from)[1] or None,
            recipients=[recipient],
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_user or None,
            password=settings.smtp_password or None,
            start_tls=settings.smtp_starttls,
            timeout=settings.smtp_timeout_seconds,
        )
