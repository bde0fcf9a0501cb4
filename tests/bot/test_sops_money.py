"""Money SOPs: the bot refunds only what is provably owed, once, and says when it arrives."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from tests.bot.conftest import bot_tickets, orders_of_case
from yiwen.bot.models import BotAction
from yiwen.core.db import Database
from yiwen.store.connectors.demo.models import ShopRefund


def refunds_of(demo, order_no: str) -> list[ShopRefund]:
    with demo.shop.database.reading() as session:
        rows = list(session.scalars(select(ShopRefund).where(ShopRefund.order_no == order_no)))
        session.expunge_all()
        return rows


def small_undelivered(demo, limit: Decimal = Decimal("50")):
    return next(o for o in orders_of_case(demo, "push_failed") if o.amount <= limit)


def test_an_undelivered_order_within_the_limit_is_refunded_once_despite_replays_and_repeats(
    start_chat, demo, database: Database
) -> None:
    order = small_undelivered(demo)
    chat = start_chat(contact=order.contact)
    text = f"订单 {order.order_no} 一直没到账，我不要了，申请退款"
    replies = chat.say(text, client_msg_id="refund-1")
    assert "退款" in replies[-1] and "到账" in replies[-1]
    assert demo.get_order(order.order_no).status == "refunded"
    chat.say(text, client_msg_id="refund-1")  # the widget resends the same message
    replies = chat.say(f"订单 {order.order_no} 退款，退款！")  # and the customer asks again
    assert "已退款" in replies[-1]
    assert len(refunds_of(demo, order.order_no)) == 1
    with database.reading() as session:
        assert session.scalar(select(func.count()).select_from(BotAction)) == 1


def test_a_second_conversation_cannot_refund_the_same_order_again(start_chat, demo) -> None:
    order = small_undelivered(demo)
    start_chat(contact=order.contact).say(f"{order.order_no} 没发货，退款")
    replies = start_chat(contact=order.contact).say(f"{order.order_no} 没发货，退款")
    assert "已退款" in replies[-1]
    assert len(refunds_of(demo, order.order_no)) == 1


def test_a_refund_above_the_limit_goes_to_finance_with_the_24_hour_promise(
    start_chat, demo, examples, database: Database
) -> None:
    order = next(o for o in orders_of_case(demo, "push_failed") if o.amount > Decimal("50"))
    chat = start_chat(contact=order.contact)
    replies = chat.say(f"订单{order.order_no}申请退款")
    assert "24 小时" in replies[-1] and "工单号" in replies[-1]
    assert refunds_of(demo, order.order_no) == []
    (ticket,) = bot_tickets(database, chat.conversation_id)
    assert ticket.category == "refund_request" and ticket.key_info["department"] == "finance"
    assert chat.status() == "waiting"


def test_a_refund_of_a_delivered_order_is_never_automatic(start_chat, demo, examples) -> None:
    order = next(o for o in orders_of_case(demo, "delivered_ok") if o.amount <= Decimal("50"))
    chat = start_chat(contact=order.contact)
    replies = chat.say(f"订单{order.order_no}不想要了，退款")
    assert "24 小时" in replies[-1]
    assert refunds_of(demo, order.order_no) == []


def test_a_double_charge_refunds_only_the_duplicate_payment(start_chat, demo, examples) -> None:
    order = examples["duplicate_payment"]
    before = demo.get_order(order.order_no)
    chat = start_chat(contact=order.contact)
    replies = chat.say(f"订单{order.order_no}扣了我两次钱，重复扣款")
    assert "重复扣款" in replies[-1]
    after = demo.get_order(order.order_no)
    assert after.status == before.status == "delivered"
    assert after.refunded_amount == Decimal("0.00")  # the order's own payment is untouched
    (refund,) = refunds_of(demo, order.order_no)
    assert refund.amount == before.payments[1].amount
    replies = chat.say(f"订单{order.order_no}重复扣款退了吗？再退一次")
    assert len(refunds_of(demo, order.order_no)) == 1


def test_a_single_charge_claimed_twice_moves_no_money(start_chat, demo) -> None:
    order = next(o for o in orders_of_case(demo, "delivered_ok") if o.amount <= Decimal("50"))
    chat = start_chat(contact=order.contact)
    chat.say(f"订单{order.order_no}扣了我两次钱")
    assert refunds_of(demo, order.order_no) == []
    assert chat.status() == "waiting"


def test_refund_status_and_order_status_are_looked_up_and_answered(start_chat, examples) -> None:
    pending = examples["refund_pending"]
    chat = start_chat(contact=pending.contact)
    assert "处理中" in chat.say(f"订单{pending.order_no}的退款什么时候到账")[-1]
    assert chat.status() == "resolved"
    delivered = examples["delivered_ok"]
    chat = start_chat(contact=delivered.contact)
    assert "已发货" in chat.say(f"帮我查一下订单{delivered.order_no}的状态")[-1]
