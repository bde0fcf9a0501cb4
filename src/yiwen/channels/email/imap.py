"""A small IMAP reader on the standard library's imaplib (the worker is synchronous).

Only what polling needs: log in, say who we are (IMAP ID, which 163/126
require), open the mailbox read-only (``EXAMINE``, so
the shop's own mail client still sees the mails as unread), read UIDVALIDITY,
list UIDs and fetch one raw mail by UID with ``BODY.PEEK[]``.
"""

from __future__ import annotations

import imaplib
import re
import ssl
from dataclasses import dataclass
from datetime import date
from types import TracebackType

from yiwen.channels.protocol import AccountView

TLS_MODES = ("ssl", "starttls", "none")
DEFAULT_TIMEOUT = 30.0
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class MailboxError(Exception):
    """The mailbox could not be read (unreachable, login refused, protocol error)."""


@dataclass(frozen=True)
class MailboxSettings:
    host: str
    port: int
    tls: str
    username: str
    password: str
    mailbox: str = "INBOX"
    timeout: float = DEFAULT_TIMEOUT

    @classmethod
    def of(cls, account: AccountView) -> MailboxSettings:
        tls = account.setting("imap_tls", "ssl").lower()
        if tls not in TLS_MODES:
            raise MailboxError(f"imap_tls must be one of {', '.join(TLS_MODES)}, not {tls!r}")
        default_port = 993 if tls == "ssl" else 143
        try:
            port = int(account.setting("imap_port", str(default_port)) or default_port)
        except ValueError as exc:
            raise MailboxError("imap_port is not a number") from exc
        host = account.setting("imap_host")
        username = account.setting("username") or account.setting("address")
        if not host or not username:
            raise MailboxError("imap_host and username (or address) are required")
        return cls(
            host=host,
            port=port,
            tls=tls,
            username=username,
            password=account.secret("password"),
            mailbox=account.setting("mailbox", "INBOX") or "INBOX",
        )


class ImapMailbox:
    """One open, read-only mailbox; use as a context manager."""

    def __init__(self, settings: MailboxSettings) -> None:
        self.settings = settings
        self.uidvalidity = 0
        self._client: imaplib.IMAP4 | None = None

    def __enter__(self) -> ImapMailbox:
        settings = self.settings
        try:
            client = self._connect()
            self._client = client
            client.login(settings.username, settings.password)
            _identify(client)
            status, _ = client.select(_quote(settings.mailbox), readonly=True)
            if status != "OK":
                raise MailboxError(f"mailbox {settings.mailbox!r} cannot be opened")
            self.uidvalidity = _uidvalidity(client, _quote(settings.mailbox))
        except MailboxError:
            self._close()
            raise
        except (imaplib.IMAP4.error, OSError, ssl.SSLError) as exc:
            self._close()
            raise MailboxError(f"{type(exc).__name__}: {exc}") from exc
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._close()

    def uids_after(self, last_uid: int) -> list[int]:
        # "n:*" always names the newest mail, even when its UID is below n.
        found = self._search("UID", f"{last_uid + 1}:*")
        return [uid for uid in found if uid > last_uid]

    def uids_since(self, day: date) -> list[int]:
        return self._search("SINCE", f"{day.day}-{_MONTHS[day.month - 1]}-{day.year}")

    def fetch(self, uid: int) -> bytes | None:
        """The raw mail, or None when it was expunged meanwhile."""
        client = self._require()
        try:
            status, data = client.uid("FETCH", str(uid), "(BODY.PEEK[])")
        except (imaplib.IMAP4.error, OSError) as exc:
            raise MailboxError(f"fetch of UID {uid} failed: {exc}") from exc
        if status != "OK":
            raise MailboxError(f"fetch of UID {uid} refused")
        for item in data:
            if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
                return item[1]
        return None

    def _search(self, *criteria: str) -> list[int]:
        client = self._require()
        try:
            status, data = client.uid("SEARCH", *criteria)
        except (imaplib.IMAP4.error, OSError) as exc:
            raise MailboxError(f"search failed: {exc}") from exc
        if status != "OK":
            raise MailboxError("search refused")
        words = b" ".join(item for item in data if isinstance(item, bytes)).split()
        return sorted(int(word) for word in words if word.isdigit())

    def _connect(self) -> imaplib.IMAP4:
        settings = self.settings
        if settings.tls == "ssl":
            return imaplib.IMAP4_SSL(
                settings.host,
                settings.port,
                ssl_context=ssl.create_default_context(),
                timeout=settings.timeout,
            )
        client = imaplib.IMAP4(settings.host, settings.port, timeout=settings.timeout)
        if settings.tls == "starttls":
            client.starttls(ssl_context=ssl.create_default_context())
        return client

    def _require(self) -> imaplib.IMAP4:
        if self._client is None:
            raise MailboxError("mailbox is not open")
        return self._client

    def _close(self) -> None:
        client, self._client = self._client, None
        if client is None:
            return
        try:
            client.logout()
        except (imaplib.IMAP4.error, OSError):
            client.shutdown()


def _identify(client: imaplib.IMAP4) -> None:
    """RFC 2971 ID: 163/126 answer "Unsafe Login" to a client that does not name itself."""
    if "ID" in client.capabilities:
        client.xatom("ID", '("name" "Yiwen" "vendor" "Yiwen")')


def _uidvalidity(client: imaplib.IMAP4, mailbox: str) -> int:
    _, data = client.response("UIDVALIDITY")
    for item in data or []:
        if isinstance(item, bytes) and item.strip().isdigit():
            return int(item)
    status, data = client.status(mailbox, "(UIDVALIDITY)")
    match = re.search(rb"UIDVALIDITY (\d+)", b" ".join(d for d in data if isinstance(d, bytes)))
    if status == "OK" and match:
        return int(match.group(1))
    raise MailboxError("the server reported no UIDVALIDITY")


def _quote(mailbox: str) -> str:
    if mailbox.upper() == "INBOX" or re.fullmatch(r"[A-Za-z0-9._/-]+", mailbox):
        return mailbox
    return '"' + mailbox.replace("\\", "\\\\").replace('"', '\\"') + '"'
