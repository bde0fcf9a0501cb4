"""The bot's hands on the shop: every action once, audited, and on the ticket's timeline.

The idempotency key is derived from what the action is about. Money and
re-pushes are keyed by order (and payment), not by conversation, so two
conversations, a replayed message or a crashed turn can never refund or push
an order twice; resends and freezes are keyed by conversation. The same key is
sent to the shop, whose own idempotency covers a crash between the shop's
answer and our commit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from yiwen.auth.audit import Actor, record_audit
from yiwen.bot.casefile import ensure_ticket
from yiwen.bot.models import BotAction
from yiwen.bot.turn import Turn
from yiwen.store.protocol import ActionResult, Order, capabilities_of
from yiwen.store.tasks import owner_task
from yiwen.tickets import service as tickets

DESCRIBE = {
    "repush_upstream": "重新推送上游",
    "resend_delivery": "补发卡密",
    "refund": "退款",
    "freeze_account": "冻结账户",
    "reveal_card_key": "向已核实的购买人展示卡密",
}


@dataclass(frozen=True)
class Done:
    record: BotAction
    replayed: bool


def can(turn: Turn, capability: str) -> bool:
    """Does the connected shop declare ``capability``? The bot never tries what it does not."""
    return capability in capabilities_of(turn.store)


def note_shop_owner_task(
    turn: Turn,
    action: str,
    *,
    order: Order | None,
    amount: Decimal | None = None,
    shop_user_id: str | None = None,
    reason: str = "",
    task: str | None = None,
) -> str:
    """Record what the shop owner must do by hand (the case summary carries it); audited.

    ``task`` is the shop's own words when it refused; otherwise it is written from
    the order, without asking the shop to try.
    """
    text = task or owner_task(
        turn.store, action, order=order, amount=amount, shop_user_id=shop_user_id, reason=reason
    )
    turn.add_to("shop_owner_tasks", text)
    record_audit(
        turn.db,
        turn.clock,
        actor=Actor.bot(),
        action="bot.action_not_supported",
        target_type="order" if order else "shop_account",
        target_id=(order.order_no if order else shop_user_id) or "",
        after={
            "action": action,
            "task": text,
            "connector": turn.store.name,
            "conversation_id": turn.conversation.id,
            "amount": None if amount is None else str(amount),
        },
    )
    return text


def action_key(turn: Turn, action: str, target: str, *, per_order: bool) -> str:
    scope = "order" if per_order else turn.conversation.id
    return f"bot:{scope}:{action}:{target}"[:120]


def find_action(turn: Turn, key: str) -> BotAction | None:
    return turn.db.scalar(select(BotAction).where(BotAction.idempotency_key == key))


def bot_repushed(turn: Turn, order_no: str) -> bool:
    return (
        find_action(turn, action_key(turn, "repush_upstream", order_no, per_order=True)) is not None
    )


def repush(turn: Turn, order_no: str) -> Done:
    key = action_key(turn, "repush_upstream", order_no, per_order=True)
    return _perform(
        turn,
        key,
        "repush_upstream",
        order_no=order_no,
        call=lambda: turn.store.repush_upstream(order_no, idempotency_key=key),
    )


def resend(turn: Turn, order_no: str) -> Done:
    key = action_key(turn, "resend_delivery", order_no, per_order=False)
    return _perform(
        turn,
        key,
        "resend_delivery",
        order_no=order_no,
        call=lambda: turn.store.resend_delivery(order_no, idempotency_key=key),
    )


def refund(turn: Turn, order_no: str, amount: Decimal, *, target: str, reason: str) -> Done:
    """Refund ``amount``; ``target`` names what is refunded (the order, or one payment)."""
    key = action_key(turn, "refund", f"{order_no}:{target}", per_order=True)
    return _perform(
        turn,
        key,
        "refund",
        order_no=order_no,
        amount=amount,
        call=lambda: turn.store.refund(order_no, amount, reason=reason, idempotency_key=key),
    )


def freeze(turn: Turn, shop_user_id: str) -> Done:
    key = action_key(turn, "freeze_account", shop_user_id, per_order=False)
    return _perform(
        turn,
        key,
        "freeze_account",
        shop_user_id=shop_user_id,
        call=lambda: turn.store.freeze_account(
            shop_user_id, reason="顾客报告账号被盗，机器人临时冻结", idempotency_key=key
        ),
    )


def reveal_keys(turn: Turn, order_no: str, key_ids: list[str]) -> list[str]:
    """Clear card keys for the verified buyer; each reveal is audited (never for anyone else)."""
    secrets = [turn.store.reveal_card_key(order_no, key_id) for key_id in key_ids]
    for key_id in key_ids:
        record_audit(
            turn.db,
            turn.clock,
            actor=Actor.bot(),
            action="card_key.reveal",
            target_type="card_key",
            target_id=key_id,
            after={"order_no": order_no, "conversation_id": turn.conversation.id},
        )
    return secrets


def _perform(
    turn: Turn,
    key: str,
    action: str,
    *,
    call: Callable[[], ActionResult],
    order_no: str | None = None,
    shop_user_id: str | None = None,
    amount: Decimal | None = None,
) -> Done:
    existing = find_action(turn, key)
    if existing is not None:
        return Done(existing, True)
    ticket = ensure_ticket(turn, turn.session.goal)
    result = call()
    record = BotAction(
        idempotency_key=key,
        conversation_id=turn.conversation.id,
        ticket_id=ticket.id,
        action=action,
        order_no=order_no,
        shop_user_id=shop_user_id,
        amount=result.amount if result.amount is not None else amount,
        status=result.status,
        reference=result.reference,
        detail={**result.detail, "replayed_at_shop": result.replayed},
        created_at=turn.clock.now(),
    )
    try:
        with turn.db.begin_nested():
            turn.db.add(record)
            turn.db.flush()
    except IntegrityError:
        # A concurrent turn recorded it first; the shop replayed the same key for us.
        raced = find_action(turn, key)
        if raced is None:
            raise
        return Done(raced, True)
    if order_no:
        tickets.link_order(turn.db, turn.clock, ticket, order_no, actor=Actor.bot())
    target_type, target_id = ("order", order_no) if order_no else ("shop_account", shop_user_id)
    after = {"reference": result.reference, "status": result.status, "ticket": ticket.number}
    if record.amount is not None:
        after["amount"] = str(record.amount)
    record_audit(
        turn.db,
        turn.clock,
        actor=Actor.bot(),
        action=f"bot.{action}",
        target_type=target_type,
        target_id=str(target_id),
        after=after,
    )
    described = DESCRIBE.get(action, action)
    body = f"机器人{described}：{order_no or shop_user_id}" + (
        f"，{record.amount} 元" if record.amount is not None else ""
    )
    tickets.add_event(
        turn.db,
        turn.clock,
        ticket,
        "bot_action",
        Actor.bot(),
        visibility="internal" if action == "freeze_account" else "public",
        body=body,
        data={"action": action, "reference": result.reference, **after},
    )
    turn.add_to("done", body.removeprefix("机器人"))
    return Done(record, False)
