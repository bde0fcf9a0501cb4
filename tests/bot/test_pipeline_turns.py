"""The bot's turn for a message taken in by the fast intake (``message_reactions =
"deferred"``): the pipeline emits ``message.created`` and the bot answers on its own
threads, with the same answer the inline path gives."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from yiwen.bot.models import BotSession
from yiwen.conversations.models import Conversation
from yiwen.conversations.pipeline import run_pending
from yiwen.core.clock import FixedClock
from yiwen.core.db import Database
from yiwen.routing.models import QueueEntry

pytestmark = pytest.mark.deferred_reactions(pipeline="manual")


def test_the_bot_answers_a_deferred_message_after_the_pipeline_runs_it(
    app: FastAPI, start_chat, demo, examples, clock: FixedClock, database: Database
) -> None:
    order = examples["paid_not_delivered"]
    detail = demo.get_order(order.order_no)
    demo.shop.force_next_push_outcome(detail.supplier or "", "slow")
    demo.repush_upstream(order.order_no, idempotency_key="shop-own-push")
    chat = start_chat(contact=order.contact)

    replies = chat.say(f"订单{order.order_no} 付款了还没到账")
    assert replies == []  # stored and acknowledged; the turn has not run yet
    assert run_pending(database, clock) == 1
    app.state.bot.wait_idle()

    messages = chat.new_messages()
    assert [m["sender_type"] for m in messages][:1] == ["bot"]
    assert "正在处理中" in messages[-1]["body"] and "分钟内到账" in messages[-1]["body"]
    assert chat.status() == "resolved"


def test_in_one_batch_only_the_conversation_the_bot_resolved_goes_back_to_the_bot(
    app: FastAPI, start_chat, clock: FixedClock, database: Database
) -> None:
    returning, other = start_chat(), start_chat()
    with database.transaction() as db:
        for chat in (returning, other):
            db.get_one(Conversation, chat.conversation_id).status = "resolved"
        db.add(
            BotSession(
                conversation_id=returning.conversation_id,
                state="resolved",
                goal="order_status",
                facts={},
                created_at=clock.now(),
                updated_at=clock.now(),
            )
        )

    for chat in (returning, other, returning, other):
        chat.say("你好，又是我")
    assert run_pending(database, clock) == 4
    with database.reading() as db:
        bot = db.get_one(BotSession, returning.conversation_id)
        assert (bot.state, bot.goal) == ("active", None)
        assert db.get(BotSession, other.conversation_id) is None
        waiting = db.scalars(
            select(QueueEntry.conversation_id).where(QueueEntry.state == "waiting")
        )
        assert list(waiting) == [other.conversation_id]  # with nobody: back in the queue, once
    app.state.bot.wait_idle()
    assert "bot" in [m["sender_type"] for m in returning.new_messages()]
    assert "bot" not in [m["sender_type"] for m in other.new_messages()]
