"""The notifier that turns a queued report (an outbox row of kind ``report``) into a mail.

The outbox row carries only what to report on; the figures are computed when
the mail is built, in a read-only session, outside any write transaction (the
charts take a moment to draw). Sending, retries and dead letters are the
email notifier's, with the Message-ID derived from the row's idempotency key,
so a mail re-sent after a crash is recognisably the same mail.
"""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate

from yiwen.core.clock import Clock
from yiwen.core.db import Database
from yiwen.core.settings import Settings
from yiwen.notify.addresses import is_email, one_line
from yiwen.notify.notifiers.email import EmailNotifier, message_id
from yiwen.notify.protocol import Delivery, Notifier, PermanentError
from yiwen.reports.mail import ReportRequest, build_report_mail

KIND = "report"


class ReportMailer(EmailNotifier):
    kind = KIND

    def __init__(self, settings: Settings, clock: Clock, database: Database) -> None:
        super().__init__(settings, clock)
        self.database = database

    def build_message(self, delivery: Delivery) -> EmailMessage:
        if not is_email(delivery.recipient):
            raise PermanentError("invalid recipient address")
        try:
            request = ReportRequest.from_payload(delivery.payload)
        except (KeyError, ValueError) as exc:
            raise PermanentError(f"unreadable report request: {exc}") from exc
        with self.database.reading() as db:
            message = build_report_mail(db, request, self.clock.now())
        message["From"] = one_line(self.settings.smtp_from)
        message["To"] = delivery.recipient
        message["Subject"] = one_line(request.subject)
        message["Date"] = formatdate(self.clock.now().timestamp(), localtime=False)
        message["Message-ID"] = message_id(delivery.idempotency_key, self.settings.smtp_from)
        message["Auto-Submitted"] = "auto-generated"
        return message


def report_notifiers(settings: Settings, clock: Clock, database: Database) -> dict[str, Notifier]:
    """The report mailer when SMTP is configured (the wiring adds it to the worker's)."""
    if not settings.smtp_host:
        return {}
    return {KIND: ReportMailer(settings, clock, database)}
