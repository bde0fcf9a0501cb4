"""Pushes to the customer's own chat channel go through the adapter registered for it.

The adapter here records what it is asked to push: it stands for a channel's
API (WeChat, QQ…), which arrives with the channels issue.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tests.notify.conftest import Contact, make_contact, outbox_rows
from tests.notify.test_outbox import reply
from yiwen.core.clock import FixedClock
from yiwen.core.db import Database
from yiwen.core.events import emit
from yiwen.core.settings import Settings
from yiwen.customers.models import Customer
from yiwen.customers.service import link_identity
from yiwen.notify.registry import build_notifiers
from yiwen.notify.rules import PUSH_CHANNELS
from yiwen.worker.runner import Worker


@dataclass
class RecordingChannel:
    channel: str = "qq"
    pushed: list[tuple[str, str, str]] = field(default_factory=list)

    def push_text(self, external_id: str, text: str, *, idempotency_key: str) -> None:
        self.pushed.append((external_id, text, idempotency_key))


def qq_customer(database: Database, clock: FixedClock) -> Contact:
    """A customer chatting on QQ as 10001, who also left an email address."""
    contact = make_contact(database, clock, email="qq-buyer@example.com", channel="qq")
    with database.transaction() as db:
        customer = db.get(Customer, contact.customer_id)
        assert customer is not None
        link_identity(db, clock, customer, channel="qq", external_id="10001", verified=True)
    return contact


def test_a_reply_on_a_chat_channel_is_pushed_through_its_adapter(
    database: Database, clock: FixedClock, settings: Settings
) -> None:
    qq = RecordingChannel()
    database.context[PUSH_CHANNELS] = frozenset({"qq"})
    contact = qq_customer(database, clock)
    reply(database, clock, contact)
    kinds = {row.kind: row for row in outbox_rows(database)}
    assert set(kinds) == {"channel", "email"}
    assert kinds["channel"].recipient == "qq:10001"

    notifiers = build_notifiers(settings, clock, database, channel_adapters={"qq": qq})
    Worker(database, clock, settings, notifiers).run_until_idle()
    [(external_id, text, key)] = qq.pushed
    assert external_id == "10001"
    assert "卡密已补发" in text
    assert key == kinds["channel"].idempotency_key
    assert {row.status for row in outbox_rows(database)} == {"sent"}


def test_queue_positions_are_pushed_to_chat_channels_but_never_mailed(
    database: Database, clock: FixedClock, settings: Settings
) -> None:
    database.context[PUSH_CHANNELS] = frozenset({"qq"})
    contact = qq_customer(database, clock)
    with database.transaction() as db:
        emit(
            db,
            "queue.position_changed",
            conversation_id=contact.conversation_id,
            ticket_id=None,
            customer_id=contact.customer_id,
            position=3,
            estimated_wait_minutes=6,
            message="当前排队第3位，预计等待约6分钟",
            visibility="public",
        )
    [row] = outbox_rows(database)
    assert (row.kind, row.recipient) == ("channel", "qq:10001")
    assert row.payload == {"text": "当前排队第3位，预计等待约6分钟"}


def test_the_web_widget_gets_no_push_rows_because_its_socket_carries_replies(
    database: Database, clock: FixedClock
) -> None:
    database.context[PUSH_CHANNELS] = frozenset({"qq"})
    contact = make_contact(database, clock, email="web@example.com", channel="web")
    reply(database, clock, contact)
    assert [row.kind for row in outbox_rows(database)] == ["email"]


def test_a_channel_without_an_adapter_queues_nothing_for_it(
    database: Database, clock: FixedClock
) -> None:
    qq_customer(database, clock)
    contact = make_contact(database, clock, email="other@example.com", channel="qq")
    reply(database, clock, contact)
    assert [row.kind for row in outbox_rows(database)] == ["email"]
