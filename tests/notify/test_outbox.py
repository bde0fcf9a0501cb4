"""Outbox rows are written with the change they announce, and only then."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from tests.notify.conftest import Contact, make_contact
from yiwen.auth.audit import Actor
from yiwen.conversations.models import Conversation
from yiwen.conversations.service import post_staff_message
from yiwen.core.clock import FixedClock, to_local
from yiwen.core.db import Database
from yiwen.notify.models import OutboxEntry, WebhookEndpoint
from yiwen.notify.outbox import enqueue
from yiwen.tickets.service import NewTicket, get_ticket, open_ticket, resolve_ticket, update_fields


def rows(database: Database) -> list[OutboxEntry]:
    with database.reading() as db:
        found = list(db.scalars(select(OutboxEntry).order_by(OutboxEntry.kind)))
        db.expunge_all()
        return found


def reply(
    database: Database,
    clock: FixedClock,
    contact: Contact,
    *,
    sender_type: str = "agent",
    visibility: str = "public",
) -> None:
    with database.transaction() as db:
        conversation = db.get(Conversation, contact.conversation_id)
        assert conversation is not None
        post_staff_message(
            db,
            clock,
            conversation,
            sender_type=sender_type,
            sender_id=None,
            sender_name="客服小一",
            body="您好，卡密已补发，请查收。",
            max_chars=5000,
            visibility=visibility,
        )


def open_missing_key_ticket(
    database: Database, clock: FixedClock
) -> tuple[Contact, str, str, datetime | None]:
    """A customer's ticket about a missing card key: (contact, id, number, promised resolution)."""
    contact = make_contact(database, clock)
    with database.transaction() as db:
        ticket = open_ticket(
            db,
            clock,
            NewTicket(
                customer_id=contact.customer_id,
                channel="web",
                category="delivery_missing",
                subject="卡密没收到",
                conversation_id=contact.conversation_id,
            ),
            actor=Actor.customer(contact.customer_id),
            prefix="YW",
        )
        return contact, ticket.id, ticket.number, ticket.due_at


def test_agent_reply_queues_an_email_to_the_customer(database: Database, clock: FixedClock) -> None:
    contact = make_contact(database, clock)
    reply(database, clock, contact)
    [entry] = rows(database)
    assert (entry.kind, entry.recipient, entry.status) == ("email", contact.email, "pending")
    assert entry.event == "message.created"
    assert "客服回复" in str(entry.payload["subject"])
    assert "卡密已补发" in str(entry.payload["body"])
    assert entry.next_attempt_at == clock.now()


def test_rolled_back_reply_leaves_no_outbox_row(database: Database, clock: FixedClock) -> None:
    contact = make_contact(database, clock)
    with pytest.raises(RuntimeError), database.transaction() as db:
        conversation = db.get(Conversation, contact.conversation_id)
        assert conversation is not None
        post_staff_message(
            db,
            clock,
            conversation,
            sender_type="agent",
            sender_id=None,
            sender_name="客服",
            body="这条回复随事务回滚",
            max_chars=5000,
        )
        assert db.scalar(select(OutboxEntry.id)) is not None  # written in the same transaction
        raise RuntimeError("the request failed after the reply")
    assert rows(database) == []


def test_internal_notes_and_bot_lines_send_no_email(database: Database, clock: FixedClock) -> None:
    contact = make_contact(database, clock)
    reply(database, clock, contact, visibility="internal")
    reply(database, clock, contact, sender_type="bot")
    assert rows(database) == []


def test_a_key_already_queued_adds_no_second_row(database: Database, clock: FixedClock) -> None:
    with database.transaction() as db:
        first = enqueue(
            db, clock, key="k1", kind="sms", event="e", recipient="13800138000", payload={}
        )
        second = enqueue(
            db, clock, key="k1", kind="sms", event="e", recipient="13800138000", payload={}
        )
    assert first is not None and second is None
    assert len(rows(database)) == 1


def test_resolution_is_announced_by_email_and_sms(database: Database, clock: FixedClock) -> None:
    contact, ticket_id, number, _ = open_missing_key_ticket(database, clock)
    with database.transaction() as db:
        resolve_ticket(
            db, clock, get_ticket(db, ticket_id), actor=Actor.system(), note="已补发卡密"
        )
    by_event = {(row.event, row.kind): row for row in rows(database)}
    assert set(by_event) == {
        ("ticket.created", "email"),
        ("ticket.resolved", "email"),
        ("ticket.resolved", "sms"),
    }
    resolved_mail = by_event[("ticket.resolved", "email")]
    assert number in str(resolved_mail.payload["subject"])
    assert "已补发卡密" in str(resolved_mail.payload["body"])
    assert by_event[("ticket.resolved", "sms")].recipient == contact.phone


def test_webhook_endpoints_get_only_the_events_they_filter_for(
    database: Database, clock: FixedClock
) -> None:
    contact = make_contact(database, clock, email="")
    with database.transaction() as db:
        for events in (["ticket.*"], ["message.created"]):
            db.add(
                WebhookEndpoint(
                    url="https://hooks.example.com/",
                    secret="s" * 20,
                    events=events,
                    description="",
                    active=True,
                    created_at=clock.now(),
                    updated_at=clock.now(),
                )
            )
        db.add(
            WebhookEndpoint(
                url="https://off.example.com/",
                secret="s" * 20,
                events=[],
                description="",
                active=False,
                created_at=clock.now(),
                updated_at=clock.now(),
            )
        )
    reply(database, clock, contact)
    webhook_rows = [row for row in rows(database) if row.kind == "webhook"]
    assert [row.event for row in webhook_rows] == ["message.created"]
    document = webhook_rows[0].payload
    assert document["event"] == "message.created"
    assert (
        webhook_rows[0].idempotency_key == f"webhook:{webhook_rows[0].recipient}:{document['id']}"
    )


def test_a_moved_promise_is_announced_to_the_customer(
    database: Database, clock: FixedClock
) -> None:
    _, ticket_id, _, first_due = open_missing_key_ticket(database, clock)
    with database.transaction() as db:
        # delivery_missing is promised within 1 h, a refund within 24 h.
        update_fields(
            db, clock, get_ticket(db, ticket_id), actor=Actor.system(), category="refund_request"
        )
        moved_due = get_ticket(db, ticket_id).due_at
    assert first_due is not None and moved_due is not None and moved_due > first_due
    notices = [row for row in rows(database) if row.event == "ticket.eta_changed"]
    assert [row.kind for row in notices] == ["email"]
    assert to_local(moved_due).strftime("%Y-%m-%d %H:%M") in str(notices[0].payload["body"])
