"""Checks the bot owes a customer after re-pushing an order to its supplier.

A follow-up row is written with the re-push. It is checked at the start of the
customer's next message in that conversation, and by
:func:`yiwen.bot.service.run_due_followups` for rows that are due, which a
worker may call every minute; whichever comes first tells the customer.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from yiwen.bot import actions, replies
from yiwen.bot.models import BotFollowup
from yiwen.bot.orders import is_buyer
from yiwen.bot.turn import Step, Turn, handoff, resolve
from yiwen.store.protocol import Order
from yiwen.tickets.models import Ticket

FIRST_CHECK = timedelta(minutes=3)
RECHECK = timedelta(minutes=5)
# Still processing an hour after the re-push: the supplier needs a human's nudge.
GIVE_UP = timedelta(hours=1)


def schedule_followup(turn: Turn, order_no: str) -> None:
    now = turn.clock.now()
    turn.db.add(
        BotFollowup(
            conversation_id=turn.conversation.id,
            order_no=order_no,
            kind="repush",
            due_at=now + FIRST_CHECK,
            created_at=now,
        )
    )
    turn.db.flush()


def open_followups(turn: Turn) -> list[BotFollowup]:
    return list(
        turn.db.scalars(
            select(BotFollowup)
            .where(
                BotFollowup.conversation_id == turn.conversation.id, BotFollowup.done_at.is_(None)
            )
            .order_by(BotFollowup.created_at)
        )
    )


def check_followup(turn: Turn, row: BotFollowup) -> Step | None:
    """The news for the customer (delivered, or handed off), or None while still processing."""
    now = turn.clock.now()
    row.attempts += 1
    order = turn.store.get_order(row.order_no)
    if order.delivery.status == "delivered":
        row.done_at, row.result = now, "delivered"
        ticket_id = turn.session.ticket_id
        return resolve(
            replies.REPUSH_DONE.format(
                order_no=order.order_no,
                ticket=_ticket_number(turn, ticket_id),
                keys=_keys(turn, order),
            )
        )
    pushes = sorted(order.upstream_pushes, key=lambda p: p.attempt)
    processing = bool(pushes) and pushes[-1].status in ("processing", "pending")
    if processing and now - row.created_at < GIVE_UP:
        row.due_at = now + RECHECK
        return None
    row.done_at, row.result = now, "failed" if not processing else "slow"
    return handoff(
        "repush_failed" if not processing else "supplier_slow",
        category="delivery_missing",
        priority="high",
        department="supplier_liaison",
        wants="尽快到账，否则退款",
    )


def _keys(turn: Turn, order: Order) -> str:
    keys = [k for k in order.delivery.card_keys if k.state != "invalid"]
    if not keys:
        return "已充值到您的账户。" if order.delivery.target_account else ""
    if not is_buyer(turn, order):
        return "卡密已发送到您下单时填写的联系方式。"
    secrets = actions.reveal_keys(turn, order.order_no, [k.key_id for k in keys])
    return "卡密：\n" + "\n".join(secrets) + "\n"


def _ticket_number(turn: Turn, ticket_id: str | None) -> str:
    ticket = turn.db.get(Ticket, ticket_id) if ticket_id else None
    return ticket.number if ticket is not None else "-"
