"""Handoff: the ticket, the case summary, the routing event, what the customer hears."""

from __future__ import annotations

import re

from sqlalchemy import select

from tests.bot.conftest import bot_tickets
from yiwen.bot.models import BotOutcome
from yiwen.conversations.models import Message
from yiwen.core.db import Database
from yiwen.core.events import DomainEvent, bus
from yiwen.store.protocol import StoreUnavailable
from yiwen.tickets.models import TicketEvent


def outcome_of(database: Database, conversation_id: str) -> BotOutcome:
    with database.reading() as session:
        row = session.scalars(
            select(BotOutcome).where(BotOutcome.conversation_id == conversation_id)
        ).one()
        session.expunge_all()
        return row


def test_asking_for_a_human_hands_off_with_a_summary_the_agent_can_act_on(
    start_chat, examples, database: Database
) -> None:
    heard: list[DomainEvent] = []
    bus.subscribe("conversation.handed_off", heard.append)
    try:
        order = examples["paid_not_delivered"]
        chat = start_chat(contact=order.contact)
        chat.say(f"订单{order.order_no}，100元，微信支付的，昨天晚上8点买的")
        replies = chat.say("转人工")
    finally:
        bus.unsubscribe("conversation.handed_off", heard.append)
    (ticket,) = bot_tickets(database, chat.conversation_id)
    assert ticket.number in replies[-1]
    assert chat.status() == "waiting"
    info = ticket.key_info
    assert info["order_no"] == order.order_no and info["payment_method"] == "wechat"
    assert info["handoff_reason"] == "customer_request" and info["contacts"] == [order.contact]
    assert "time" in info and info["amount"] == "100"
    with database.reading() as session:
        notes = session.scalars(
            select(TicketEvent).where(
                TicketEvent.ticket_id == ticket.id, TicketEvent.kind == "note"
            )
        ).all()
        internal = session.scalars(
            select(Message).where(
                Message.conversation_id == chat.conversation_id, Message.visibility == "internal"
            )
        ).all()
        session.expunge_all()
    assert notes and order.order_no in notes[-1].body and notes[-1].visibility == "internal"
    assert internal and "机器人交接摘要" in internal[-1].body
    assert not any("机器人交接摘要" in m["body"] for m in chat.seen)  # customers never see it
    (event,) = heard
    assert event.payload["ticket_id"] == ticket.id and event.payload["reason"] == "customer_request"
    assert outcome_of(database, chat.conversation_id).outcome == "handed_off"
    # Handed off, the bot stays quiet: the next message waits for a human.
    assert chat.say("有人吗") == []


def test_a_12315_threat_is_urgent(start_chat, database: Database) -> None:
    chat = start_chat(contact="13912345678")
    replies = chat.say("再不处理我就去12315和黑猫投诉你们！")
    (ticket,) = bot_tickets(database, chat.conversation_id)
    assert ticket.priority == "urgent" and ticket.urgent and ticket.category == "complaint"
    assert ticket.number in replies[-1]


def test_two_messages_the_bot_cannot_place_get_one_clarifying_question_then_a_human(
    start_chat, database: Database
) -> None:
    chat = start_chat()
    first = chat.say("asdf qwer zxcv")
    assert "回复数字" in first[-1] and chat.status() == "bot"
    second = chat.say("hjkl uiop")
    assert "工单号" in second[-1] and chat.status() == "waiting"
    assert outcome_of(database, chat.conversation_id).reason == "low_confidence"


def test_a_clarifying_choice_starts_that_procedure(start_chat, examples) -> None:
    order = examples["refund_pending"]
    chat = start_chat(contact=order.contact)
    chat.say("asdf qwer zxcv")
    replies = chat.say("1")
    assert "订单号" in replies[-1] or order.order_no in replies[-1]


def test_a_stolen_account_is_frozen_at_once_and_handed_to_security_as_urgent(
    start_chat, demo, examples, database: Database
) -> None:
    order = examples["delivered_ok"]
    chat = start_chat(shop_user_id=order.shop_user_id)
    replies = chat.say("我的账号被盗了，有人用我的余额乱买东西")
    assert demo.get_account(order.shop_user_id or "").frozen is True
    assert "冻结" in replies[-1]
    (ticket,) = bot_tickets(database, chat.conversation_id)
    assert ticket.category == "account_security" and ticket.priority == "urgent"
    assert ticket.key_info["department"] == "security"


def test_an_order_number_that_does_not_exist_twice_goes_to_a_human(start_chat) -> None:
    chat = start_chat()
    assert "没有查到" in chat.say("订单 ZZZZZZZZZZZZZZZ9 没到账")[-1]
    assert "工单号" in chat.say("ZZZZZZZZZZZZZZZ8")[-1]
    assert chat.status() == "waiting"


def test_ticket_progress_is_answered_from_the_customers_own_ticket(start_chat, examples) -> None:
    order = examples["key_used"]
    chat = start_chat(contact=order.contact)
    chat.say(f"订单{order.order_no}卡密已被使用")
    number = re.search(r"YW\d{8}-\d{6}", chat.seen[-1]["body"]).group()
    mine = start_chat()  # a new visitor proves it with the number and the ticket's contact
    replies = mine.say(f"工单{number}进度怎么样了，我的手机号{order.contact}")
    assert number in replies[-1] and "待处理" in replies[-1]
    other = start_chat(contact="13700000000")
    assert "没有查到" in other.say(f"工单{number}进度怎么样了")[-1]


def test_how_to_use_is_answered_from_the_knowledge_base(start_chat, database: Database) -> None:
    chat = start_chat()
    replies = chat.say("steam充值卡怎么兑换")
    assert chat.status() == "resolved"
    assert "Steam" in replies[-1] and "/help/articles/" in replies[-1]


def test_a_resolved_conversation_returns_to_the_bot_when_the_customer_writes_again(
    start_chat, examples
) -> None:
    order = examples["delivered_ok"]
    chat = start_chat(contact=order.contact)
    chat.say(f"查一下订单{order.order_no}的状态")
    assert chat.status() == "resolved"
    replies = chat.say("谢谢")
    assert replies and chat.status() == "resolved"


class UnreachableShop:
    """A shop whose API is down: every call fails as a real connector's timeout does."""

    name = "unreachable"
    order_no_patterns: tuple[str, ...] = ()

    def __getattr__(self, name: str) -> object:
        def fail(*_args: object, **_kwargs: object) -> object:
            raise StoreUnavailable("connection refused", retry_after=5)

        return fail


def test_a_shop_that_cannot_be_reached_hands_off_and_keeps_the_message(
    settings, clock, database: Database
) -> None:
    from fastapi.testclient import TestClient

    from yiwen.web.app import create_app

    app = create_app(settings, clock=clock, database=database, store=UnreachableShop())  # type: ignore[arg-type]
    with TestClient(app) as client:
        started = client.post("/api/v1/customer/conversations", json={}).json()
        headers = {"X-Conversation-Token": started["token"]}
        url = f"/api/v1/customer/conversations/{started['conversation']['id']}/messages"
        sent = client.post(
            url,
            json={"client_msg_id": "a", "body": "订单 MUC7FS4MQ3G7WTZY 卡密没收到"},
            headers=headers,
        )
        assert sent.status_code == 201
        bodies = [m["body"] for m in client.get(url, headers=headers).json()["items"]]
    assert bodies[0] == "订单 MUC7FS4MQ3G7WTZY 卡密没收到"
    assert "工单号" in bodies[-1]
    assert outcome_of(database, started["conversation"]["id"]).reason == "store_unavailable"
