"""Announcements against the demo shop: its open orders of one supplier are the affected ones."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select

from yiwen.conversations.models import Conversation, Message
from yiwen.conversations.service import start_conversation
from yiwen.core.clock import Clock
from yiwen.core.db import Database
from yiwen.customers.service import find_or_create_customer, link_identity
from yiwen.notify.models import OutboxEntry
from yiwen.proactive.announcements.models import AnnouncementNotice
from yiwen.store.connectors.demo.connector import DemoStoreConnector
from yiwen.store.protocol import Order

SUPPLIER = "速充科技"


@dataclass(frozen=True)
class Buyer:
    """A shop user with an open order of the supplier, chatting with us on QQ."""

    shop_user_id: str
    customer_id: str
    conversation_id: str
    order_nos: tuple[str, ...]


def open_orders(demo: DemoStoreConnector, clock: Clock, supplier: str = SUPPLIER) -> list[Order]:
    return demo.find_open_orders(paid_since=clock.now() - timedelta(days=3), supplier=supplier)


def qq_buyers(
    database: Database, clock: Clock, demo: DemoStoreConnector, count: int
) -> list[Buyer]:
    """``count`` buyers of the supplier's open orders, each with a QQ conversation."""
    by_user: dict[str, list[str]] = {}
    for order in open_orders(demo, clock):
        if order.shop_user_id:
            by_user.setdefault(order.shop_user_id, []).append(order.order_no)
    buyers = []
    with database.transaction() as db:
        for index, (shop_user_id, order_nos) in enumerate(sorted(by_user.items())[:count]):
            customer = find_or_create_customer(
                db, clock, channel="shop", external_id=shop_user_id, verified=True
            )
            link_identity(db, clock, customer, channel="qq", external_id=f"acc1:{10000 + index}")
            conversation, _ = start_conversation(db, clock, customer, channel="qq")
            conversation.channel_account_id = "acc1"
            buyers.append(Buyer(shop_user_id, customer.id, conversation.id, tuple(order_nos)))
    return buyers


def notices(database: Database, announcement_id: str) -> list[AnnouncementNotice]:
    with database.reading() as db:
        rows = list(
            db.scalars(
                select(AnnouncementNotice).where(
                    AnnouncementNotice.announcement_id == announcement_id
                )
            )
        )
        db.expunge_all()
        return rows


def outbox_keys(database: Database, announcement_id: str) -> list[str]:
    with database.reading() as db:
        return list(
            db.scalars(
                select(OutboxEntry.idempotency_key).where(
                    OutboxEntry.idempotency_key.startswith(f"announcement:{announcement_id}:")
                )
            )
        )


def system_messages(database: Database, conversation_id: str) -> list[str]:
    with database.reading() as db:
        return list(
            db.scalars(
                select(Message.body)
                .where(Message.conversation_id == conversation_id, Message.sender_type == "system")
                .order_by(Message.id)
            )
        )


def conversation_of(database: Database, conversation_id: str) -> Conversation:
    with database.reading() as db:
        row = db.get_one(Conversation, conversation_id)
        db.expunge(row)
        return row


@pytest.fixture
def push_qq(database: Database) -> None:
    """QQ has an adapter: notices on QQ conversations are pushed there (the wiring's job)."""
    from yiwen.notify.rules import PUSH_CHANNELS

    database.context[PUSH_CHANNELS] = frozenset({"qq"})
