"""Proactive care against the demo shop: a stuck order's buyer hears from the bot first, once."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.bot.conftest import Chat
from yiwen.bot.models import BotSession
from yiwen.conversations.access import sign_shop_token
from yiwen.conversations.models import Conversation, Message
from yiwen.core.clock import FixedClock
from yiwen.core.db import Database
from yiwen.core.settings import Settings
from yiwen.proactive.care.models import CareContact
from yiwen.proactive.care.service import normal_delivery_time, run_proactive_care
from yiwen.store.connectors.demo.connector import DemoStoreConnector
from yiwen.tickets.models import Ticket


def care(database: Database, clock: FixedClock, demo: DemoStoreConnector) -> int:
    with database.transaction() as db:
        return run_proactive_care(db, clock, demo)


def contacts(database: Database) -> list[CareContact]:
    with database.reading() as db:
        rows = list(db.scalars(select(CareContact).order_by(CareContact.order_no)))
        db.expunge_all()
        return rows


def test_each_stuck_order_past_its_normal_time_is_taken_once(
    database: Database, clock: FixedClock, demo: DemoStoreConnector, settings: Settings
) -> None:
    taken = care(database, clock, demo)
    again = care(database, clock, demo)
    rows = contacts(database)
    assert taken == len(rows) > 0 and again == 0
    stuck = demo.find_open_orders(
        paid_since=clock.now() - timedelta(hours=settings.proactive_care_lookback_hours)
    )
    due = {
        o.order_no
        for o in stuck
        if o.paid_at and clock.now() - o.paid_at >= normal_delivery_time(settings, o)
    }
    assert {r.order_no for r in rows} == due
    with database.reading() as db:
        for row in rows:
            if row.status != "sent":
                continue
            conversation = db.get_one(Conversation, row.conversation_id)
            assert conversation.status == "bot" and conversation.customer_id == row.customer_id
            [line] = db.scalars(
                select(Message.body).where(Message.conversation_id == conversation.id)
            )
            assert row.order_no in line and "回复“是”" in line
            session = db.get_one(BotSession, conversation.id)
            assert session.goal == "delivery_missing" and session.pending == "confirm_order"


def test_an_order_not_yet_past_its_normal_time_is_left_alone(
    database: Database, clock: FixedClock, demo: DemoStoreConnector, settings: Settings
) -> None:
    settings.proactive_care_normal_minutes = {"card_key": 60 * 48, "direct_topup": 60 * 48}
    assert care(database, clock, demo) == 0 and contacts(database) == []


def test_the_customers_yes_runs_the_delivery_sop_on_the_stuck_order(
    client: TestClient,
    database: Database,
    clock: FixedClock,
    demo: DemoStoreConnector,
    settings: Settings,
) -> None:
    care(database, clock, demo)
    [row, *_] = [r for r in contacts(database) if r.status == "sent"]
    order = demo.get_order(row.order_no)
    assert order.shop_user_id
    token = sign_shop_token(
        settings.resolved_shop_token_secret(),
        order.shop_user_id,
        int(clock.now().timestamp()) + 3600,
    )
    chat = Chat(client, str(row.conversation_id), {"X-Shop-Token": token})
    chat.new_messages()
    replies = chat.say("是")
    assert replies, "the bot answers the reply to its own question"
    assert any(row.order_no in r for r in replies)
    assert not any("哪类问题" in r for r in replies)  # no clarifying question: the SOP ran


def test_a_frequent_buyers_stuck_order_goes_to_the_queue_at_urgent_priority(
    database: Database, clock: FixedClock, demo: DemoStoreConnector, settings: Settings
) -> None:
    settings.proactive_frequent_buyer_orders = 1
    care(database, clock, demo)
    rows = [r for r in contacts(database) if r.status == "sent"]
    assert rows and all(r.frequent_buyer for r in rows)
    with database.reading() as db:
        for row in rows:
            ticket = db.get_one(Ticket, row.ticket_id)
            assert ticket.priority == "urgent" and ticket.conversation_id == row.conversation_id
            assert ticket.queue is not None
