"""Delivery SOPs against the demo shop's failure cases, through the public API."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tests.bot.conftest import bot_tickets, orders_of_case
from yiwen.auth.audit import AuditEntry
from yiwen.bot.models import BotAction, BotFollowup
from yiwen.core.db import Database


def test_a_supplier_still_within_normal_time_gets_an_eta_and_no_repush(
    start_chat, demo, examples, database: Database
) -> None:
    order = examples["paid_not_delivered"]
    detail = demo.get_order(order.order_no)
    # The shop itself sends the order now, slowly: the push is processing and young.
    demo.shop.force_next_push_outcome(detail.supplier or "", "slow")
    demo.repush_upstream(order.order_no, idempotency_key="shop-own-push")
    chat = start_chat(contact=order.contact)
    replies = chat.say(f"订单{order.order_no} 付款了还没到账")
    assert "正在处理中" in replies[-1] and "分钟内到账" in replies[-1]
    assert len(demo.get_order(order.order_no).upstream_pushes) == 2  # the bot pushed nothing
    with database.reading() as session:
        assert session.scalars(select(BotAction)).all() == []
    assert chat.status() == "resolved"


def test_a_failed_push_is_repushed_once_and_the_followup_tells_the_customer(
    start_chat, demo, examples, clock, database: Database
) -> None:
    order = examples["push_failed"]
    supplier = demo.get_order(order.order_no).supplier or ""
    demo.shop.force_next_push_outcome(supplier, "succeeded")
    chat = start_chat(contact=order.contact)
    replies = chat.say(f"{order.order_no} 这单卡密没收到")
    assert "重新提交上游" in replies[-1]
    pushes = demo.get_order(order.order_no).upstream_pushes
    assert pushes[-1].status == "processing"
    assert chat.status() == "bot"
    # Asking again before the supplier answers pushes nothing more.
    chat.say("怎么还没到")
    assert len(demo.get_order(order.order_no).upstream_pushes) == len(pushes)
    clock.advance(timedelta(minutes=10))
    replies = chat.say("到了吗")
    assert "已到账" in replies[-1]
    keys = demo.get_order(order.order_no).delivery.card_keys
    if keys:  # card-key goods: the verified buyer sees the key itself
        secret = demo.reveal_card_key(order.order_no, keys[0].key_id)
        assert secret in replies[-1]
    assert chat.status() == "resolved"
    (ticket,) = bot_tickets(database, chat.conversation_id)
    assert ticket.status == "resolved"
    with database.reading() as session:
        (followup,) = session.scalars(select(BotFollowup)).all()
        assert followup.result == "delivered"
        repushes = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "bot.repush_upstream")
        ).all()
        assert len(repushes) == 1 and repushes[0].actor_type == "bot"


def test_a_repush_that_fails_again_goes_to_supplier_liaison_by_the_worker_job(
    start_chat, demo, examples, clock, database: Database, app
) -> None:
    from yiwen.bot.service import run_due_followups

    order = examples["push_failed"]
    demo.shop.force_next_push_outcome(demo.get_order(order.order_no).supplier or "", "failed")
    chat = start_chat(contact=order.contact)
    chat.say(f"{order.order_no} 充值没到账")
    clock.advance(timedelta(minutes=10))
    with database.transaction() as session:
        assert run_due_followups(session, clock, demo) == 1
    replies = [m["body"] for m in chat.new_messages() if m["sender_type"] == "bot"]
    assert "工单号" in replies[-1] and "供应商对接" in replies[-1]
    assert chat.status() == "waiting"
    (ticket,) = bot_tickets(database, chat.conversation_id)
    assert ticket.priority == "high" and ticket.key_info["handoff_reason"] == "repush_failed"
    assert len(demo.get_order(order.order_no).upstream_pushes) >= 2


def test_a_delivered_key_is_resent_on_the_channel_to_the_verified_buyer(
    start_chat, demo, examples, database: Database
) -> None:
    order = examples["delivered_ok"]
    chat = start_chat(contact=order.contact)
    replies = chat.say(f"订单号{order.order_no}，卡密没收到")
    detail = demo.get_order(order.order_no)
    secret = demo.reveal_card_key(order.order_no, detail.delivery.card_keys[0].key_id)
    assert secret in replies[-1]
    assert detail.delivery.resend_count >= 1
    with database.reading() as session:
        reveals = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "card_key.reveal")
        ).all()
        assert reveals and all(r.actor_type == "bot" for r in reveals)
    (ticket,) = bot_tickets(database, chat.conversation_id)
    assert ticket.status == "resolved" and secret not in (ticket.resolution_note or "")


def test_an_unverified_requester_never_sees_the_key_and_is_handed_off(
    start_chat, demo, examples, database: Database
) -> None:
    order = examples["delivered_ok"]
    detail = demo.get_order(order.order_no)
    secrets = [demo.reveal_card_key(order.order_no, k.key_id) for k in detail.delivery.card_keys]
    chat = start_chat()  # an anonymous visitor who only knows the order number
    replies = chat.say(f"订单 {order.order_no} 卡密没收到")
    assert "下单时填写的手机号或邮箱" in replies[-1]
    replies = chat.say("13800138000")
    assert "不一致" in replies[-1]
    replies = chat.say("我的邮箱是 someone.else@example.com")
    assert "工单号" in replies[-1]
    assert chat.status() == "waiting"
    every_message = " ".join(m["body"] for m in chat.seen)
    assert not any(secret in every_message for secret in secrets)
    assert demo.get_order(order.order_no).delivery.resend_count == detail.delivery.resend_count


def test_the_right_purchase_contact_verifies_the_requester(start_chat, demo, examples) -> None:
    order = examples["delivered_ok"]
    chat = start_chat()
    chat.say(f"订单 {order.order_no} 卡密没收到")
    replies = chat.say(f"下单手机/邮箱：{order.contact}")
    detail = demo.get_order(order.order_no)
    assert demo.reveal_card_key(order.order_no, detail.delivery.card_keys[0].key_id) in replies[-1]


def test_a_used_key_is_checked_and_escalated_to_supplier_liaison_with_high_priority(
    start_chat, examples, database: Database
) -> None:
    order = examples["key_used"]
    chat = start_chat(contact=order.contact)
    replies = chat.say(f"订单{order.order_no}的卡密提示已被使用，兑换不了")
    assert "已被使用" in replies[-1] and "工单号" in replies[-1]
    (ticket,) = bot_tickets(database, chat.conversation_id)
    assert ticket.category == "card_invalid" and ticket.priority == "high"
    assert "used" in ticket.key_info["card_key_states"]
    assert ticket.key_info["department"] == "supplier_liaison"
    assert chat.status() == "waiting"


def test_a_wrong_region_key_is_escalated_with_the_region_problem(
    start_chat, examples, database: Database
) -> None:
    order = examples["wrong_region"]
    chat = start_chat(contact=order.contact)
    chat.say(f"{order.order_no} 卡密激活失败，说区服不对")
    (ticket,) = bot_tickets(database, chat.conversation_id)
    assert ticket.category == "card_invalid" and "region_problem" in ticket.key_info


def test_a_logged_in_customer_confirms_the_one_plausible_order_instead_of_typing_it(
    start_chat, demo, clock
) -> None:
    def open_orders(shop_user_id: str) -> list[str]:
        return [
            o.order_no
            for o in demo.find_orders(shop_user_id=shop_user_id)
            if o.status in ("paid", "delivering", "delivery_failed", "pending_payment")
            and o.created_at >= clock.now() - timedelta(days=7)
        ]

    order = next(
        o
        for o in orders_of_case(demo, "push_failed")
        if o.shop_user_id and open_orders(o.shop_user_id) == [o.order_no]
    )
    chat = start_chat(shop_user_id=order.shop_user_id)
    replies = chat.say("我付款了怎么还没到账")
    assert order.order_no in replies[-1] and "是这一笔吗" in replies[-1]
    replies = chat.say("是的")
    assert "重新提交上游" in replies[-1]
    assert len(replies) == 1  # one question at a time, and no question asked twice


def test_a_message_with_the_order_number_is_never_asked_for_it_again(start_chat, examples) -> None:
    order = examples["push_failed"]
    chat = start_chat(contact=order.contact)
    chat.say(f"你好，订单{order.order_no}")
    replies = chat.say("充值一直没到账")
    assert "订单号" not in replies[-1] or order.order_no in replies[-1]
    assert "重新提交上游" in replies[-1]
