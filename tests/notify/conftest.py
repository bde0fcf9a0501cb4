"""Notify tests run with SMTP, the SMS gateway and webhooks pointed at local peers."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.notify.peers import HttpPeer, SmtpPeer
from yiwen.conversations.models import Conversation
from yiwen.conversations.service import start_conversation
from yiwen.core.clock import Clock
from yiwen.core.db import Database
from yiwen.core.settings import Settings
from yiwen.customers.service import find_or_create_customer, link_identity
from yiwen.notify.models import OutboxEntry, WebhookEndpoint
from yiwen.wiring import build_worker
from yiwen.worker.runner import Worker

SMS_KEY = "sms-key-1"
SMS_SECRET = "sms-secret-0123456789"


@pytest.fixture(scope="session")
def smtp_peer() -> Iterator[SmtpPeer]:
    peer = SmtpPeer()
    peer.start()
    yield peer
    peer.stop()


@pytest.fixture(scope="session")
def webhook_peer_session() -> Iterator[HttpPeer]:
    peer = HttpPeer()
    peer.start()
    yield peer
    peer.stop()


@pytest.fixture(scope="session")
def sms_peer_session() -> Iterator[HttpPeer]:
    peer = HttpPeer(
        secret=SMS_SECRET,
        id_header="x-request-id",
        timestamp_header="x-timestamp",
        signature_header="x-signature",
    )
    peer.start()
    yield peer
    peer.stop()


@pytest.fixture
def webhook_peer(webhook_peer_session: HttpPeer) -> HttpPeer:
    webhook_peer_session.reset()
    return webhook_peer_session


@pytest.fixture
def sms_peer(sms_peer_session: HttpPeer) -> HttpPeer:
    sms_peer_session.reset()
    return sms_peer_session


@pytest.fixture
def mailbox(smtp_peer: SmtpPeer) -> SmtpPeer:
    smtp_peer.mails.clear()
    smtp_peer.raw.clear()
    return smtp_peer


@pytest.fixture
def settings(
    tmp_path: Path,
    database_url: str,
    demo_url: str,
    smtp_peer: SmtpPeer,
    sms_peer_session: HttpPeer,
) -> Settings:
    return Settings(
        data_dir=tmp_path / "var",
        database_url=database_url,
        secret_key="test-secret-key-0123456789abcdef",
        shop_token_secret="shop-secret-for-tests",
        demo_shop_url=demo_url,
        worker_embedded=False,
        smtp_host="127.0.0.1",
        smtp_port=smtp_peer.port,
        smtp_from="一问客服 <service@yiwen.example>",
        sms_gateway_url=sms_peer_session.url,
        sms_api_key=SMS_KEY,
        sms_api_secret=SMS_SECRET,
        # The peers listen on loopback; test_ssrf.py proves the default refuses it.
        webhook_allow_private=True,
    )


@dataclass(frozen=True)
class Contact:
    customer_id: str
    conversation_id: str
    email: str
    phone: str


def make_contact(
    database: Database,
    clock: Clock,
    *,
    email: str = "buyer@example.com",
    phone: str = "13800138000",
    channel: str = "web",
) -> Contact:
    """A customer reachable by email and phone, with a conversation on ``channel``."""
    with database.transaction() as db:
        customer = find_or_create_customer(
            db, clock, channel="email", external_id=email, display_name="买家小王"
        )
        link_identity(db, clock, customer, channel="phone", external_id=phone, verified=True)
        conversation, _ = start_conversation(db, clock, customer, channel=channel)
        return Contact(customer.id, conversation.id, email, phone)


def conversation_of(database: Database, contact: Contact) -> Conversation:
    with database.reading() as db:
        conversation = db.get(Conversation, contact.conversation_id)
        assert conversation is not None
        return conversation


def make_worker(
    database: Database, settings: Settings, clock: Clock, **overrides: object
) -> Worker:
    """The worker as the wiring builds it (deliveries only), with settings overridden."""
    return build_worker(database, settings.model_copy(update=overrides), clock, jobs=())


def add_webhook(
    database: Database, clock: Clock, url: str, *, secret: str, events: list[str]
) -> str:
    with database.transaction() as db:
        endpoint = WebhookEndpoint(
            url=url,
            secret=secret,
            events=events,
            description="测试接收方",
            active=True,
            created_at=clock.now(),
            updated_at=clock.now(),
        )
        db.add(endpoint)
        db.flush()
        return endpoint.id


def outbox_rows(database: Database) -> list[OutboxEntry]:
    with database.reading() as db:
        found = list(
            db.scalars(select(OutboxEntry).order_by(OutboxEntry.created_at, OutboxEntry.kind))
        )
        db.expunge_all()
        return found
