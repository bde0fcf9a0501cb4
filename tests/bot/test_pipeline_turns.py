"""The bot's turn for a message taken in by the fast intake (``message_reactions =
"deferred"``): the pipeline emits ``message.created`` and the bot answers on its own
threads, with the same answer the inline path gives."""

from __future__ import annotations

import pytest
from fastapi import FastAPI

from yiwen.conversations.pipeline import run_pending
from yiwen.core.clock import FixedClock
from yiwen.core.db import Database

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
