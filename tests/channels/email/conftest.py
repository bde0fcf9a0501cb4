"""The email channel against real peers: Dovecot for IMAP, aiosmtpd for SMTP submission.

Dovecot (Debian's ``dovecot-imapd``) runs once per session as a private
instance on a free loopback port; each test gets a mailbox folder of its own
and an email account polling it. Mails reach it by IMAP APPEND, as an MTA's
delivery would leave them. Replies go out to an aiosmtpd server that keeps
every mail as it crossed the wire. The global SMTP settings point at the same
server, so a reply sent twice (by the channel and by the generic email
notifier) would show as two mails.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from tests.channels.email.peers import SubmissionPeer
from tests.support.dovecot import DovecotServer, find_server
from yiwen.auth.audit import Actor
from yiwen.bot.service import BotRunner
from yiwen.channels.accounts import create_account
from yiwen.channels.email.jobs import poll_account
from yiwen.core.clock import FixedClock
from yiwen.core.db import Database
from yiwen.core.settings import Settings
from yiwen.store.connectors.demo.connector import DemoStoreConnector
from yiwen.wiring import build_worker
from yiwen.worker.runner import Worker

SHOP = "kefu@shop.example.com"
SHOP_PASSWORD = "app-password-123"


@pytest.fixture(scope="session")
def dovecot() -> Iterator[DovecotServer]:
    if find_server() is None:
        if os.environ.get("CI"):
            pytest.fail("dovecot is not installed (.ci/run installs dovecot-imapd)")
        pytest.skip("dovecot is not installed: apt-get install dovecot-imapd")
    server = DovecotServer.start({SHOP: SHOP_PASSWORD})
    yield server
    server.stop()


@pytest.fixture
def smtp() -> Iterator[SubmissionPeer]:
    peer = SubmissionPeer({SHOP: SHOP_PASSWORD})
    peer.start()
    yield peer
    peer.stop()


@pytest.fixture
def settings(tmp_path: Path, database_url: str, demo_url: str, smtp: SubmissionPeer) -> Settings:
    return Settings(
        data_dir=tmp_path / "var",
        database_url=database_url,
        secret_key="test-secret-key-0123456789abcdef",
        shop_token_secret="shop-secret-for-tests",
        demo_shop_url=demo_url,
        worker_embedded=False,
        smtp_host="127.0.0.1",
        smtp_port=smtp.port,
        smtp_from="一问通知 <noreply@yiwen.example.com>",
    )


@dataclass
class Mailbox:
    """The shop's support mailbox as the test sees it: one IMAP folder, one Yiwen account."""

    server: DovecotServer
    folder: str
    account_id: str

    def deliver(self, raw: bytes) -> int:
        return self.server.append(SHOP, raw, mailbox=self.folder)


@pytest.fixture
def mailbox(
    dovecot: DovecotServer,
    smtp: SubmissionPeer,
    database: Database,
    clock: FixedClock,
    settings: Settings,
) -> Mailbox:
    folder = f"T{uuid.uuid4().hex[:10]}"
    dovecot.create_mailbox(SHOP, folder)
    account_id = make_email_account(database, clock, settings, dovecot, smtp, folder=folder)
    return Mailbox(dovecot, folder, account_id)


def make_email_account(
    database: Database,
    clock: FixedClock,
    settings: Settings,
    dovecot: DovecotServer,
    smtp: SubmissionPeer,
    *,
    folder: str,
    password: str = SHOP_PASSWORD,
    **extra: object,
) -> str:
    with database.transaction() as db:
        account = create_account(
            db,
            clock,
            settings,
            channel="email",
            name="小店客服",
            config={
                "imap_host": dovecot.host,
                "imap_port": dovecot.port,
                "imap_tls": "none",
                "username": SHOP,
                "address": SHOP,
                "mailbox": folder,
                "smtp_host": "127.0.0.1",
                "smtp_port": smtp.port,
                "smtp_tls": "none",
                **extra,
            },
            secrets={"password": password},
            actor=Actor.system(),
        )
        return account.id


@contextmanager
def reading(database: Database) -> Iterator[Session]:
    """A read session whose objects stay readable after it ends (they are detached first)."""
    with database.reading() as db:
        yield db
        db.expunge_all()


def poll(database: Database, clock: FixedClock, settings: Settings, account_id: str) -> int:
    """One poll of the account, as the periodic job runs it (short transactions of its own)."""
    return poll_account(database, clock, settings, account_id)


@pytest.fixture
def bot(
    database: Database, clock: FixedClock, settings: Settings, demo: DemoStoreConnector
) -> Iterator[BotRunner]:
    """The bot answering committed customer messages, as the app process runs it."""
    runner = BotRunner(database, clock, settings, store=lambda: demo)
    runner.attach()
    yield runner
    runner.detach()


@pytest.fixture
def worker(
    database: Database, clock: FixedClock, settings: Settings, demo: DemoStoreConnector
) -> Worker:
    """Deliveries as the wiring builds them (email registered as a channel sender)."""
    return build_worker(database, settings, clock, store=lambda: demo, jobs=())


def customer_mail(
    *,
    sender: str = "Buyer <Buyer@Example.com>",
    subject: str = "订单 202611220001 卡密没收到",
    body: str = "我昨天买的点卡到现在还没收到卡密，麻烦查一下。",
    message_id: str | None = None,
    in_reply_to: str | None = None,
    references: str | None = None,
    headers: dict[str, str] | None = None,
    attachments: list[tuple[str, str, bytes]] | None = None,
    html: str | None = None,
    clock: FixedClock | None = None,
) -> bytes:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = f"小店客服 <{SHOP}>"
    mail["Subject"] = subject
    mail["Message-ID"] = message_id or make_msgid(domain="example.com")
    if clock is not None:
        mail["Date"] = format_datetime(clock.now())
    if in_reply_to:
        mail["In-Reply-To"] = in_reply_to
    if references:
        mail["References"] = references
    for name, value in (headers or {}).items():
        mail[name] = value
    mail.set_content(body)
    if html is not None:
        mail.add_alternative(html, subtype="html")
    for filename, content_type, data in attachments or []:
        maintype, _, subtype = content_type.partition("/")
        mail.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return bytes(mail)
