"""A real SMTP submission server (aiosmtpd) that checks logins, as QQ邮箱/163 do.

Mail providers accept mail for delivery only from a logged-in mailbox (with
the app password); this peer offers AUTH PLAIN/LOGIN on loopback (no TLS, as
the tests have no certificates), records who logged in for each mail and
keeps the mails as they crossed the wire. Unauthenticated mail is accepted
too, because the generic email notifier of the test settings sends without a
login; each mail says whether it came logged in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from tests.support.live import free_port


@dataclass
class Sent:
    mail_from: str
    recipients: list[str]
    login: str | None
    mail: EmailMessage
    raw: bytes


@dataclass
class _Handler:
    passwords: dict[str, str]
    sent: list[Sent] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)  # recipient -> SMTP reply

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = bytes(envelope.content or b"")  # type: ignore[arg-type]
        mail = message_from_bytes(raw, policy=policy.default)
        assert isinstance(mail, EmailMessage)
        login = session.auth_data.login.decode() if session.authenticated else None  # type: ignore[union-attr]
        self.sent.append(Sent(str(envelope.mail_from), list(envelope.rcpt_tos), login, mail, raw))
        return "250 OK"

    def authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: object
    ) -> AuthResult:
        if not isinstance(data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login, password = data.login.decode(), data.password.decode()
        ok = self.passwords.get(login) == password
        return AuthResult(success=ok, handled=False, auth_data=data if ok else None)


class SubmissionPeer:
    def __init__(self, passwords: dict[str, str]) -> None:
        self.port = free_port()
        self._handler = _Handler(passwords)
        self._controller = Controller(
            self._handler,
            hostname="127.0.0.1",
            port=self.port,
            authenticator=self._handler.authenticate,
            auth_require_tls=False,
        )

    @property
    def sent(self) -> list[Sent]:
        return self._handler.sent

    def refuse(self, recipient: str, reply: str) -> None:
        self._handler.refuse[recipient] = reply

    def accept(self, recipient: str) -> None:
        self._handler.refuse.pop(recipient, None)

    def to(self, address: str) -> list[Sent]:
        return [item for item in self.sent if address in item.recipients]

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()
