"""Handing a conversation to humans with everything the bot learned, and recording outcomes.

The ticket gets the right category and priority, the case summary as an
internal note and in ``key_info``; the conversation waits for an agent;
``conversation.handed_off`` tells routing; the customer gets the ticket number
and what happens next.
"""

from __future__ import annotations

from sqlalchemy import select

from yiwen.auth.audit import Actor
from yiwen.bot import replies
from yiwen.bot.casefile import category_for, ensure_ticket, key_facts, summary_text
from yiwen.bot.models import BotOutcome
from yiwen.bot.rephrasing import HELD_REPLIES, HeldReply
from yiwen.bot.turn import Step, Turn
from yiwen.conversations.service import post_staff_message
from yiwen.core.events import emit
from yiwen.tickets import service as tickets
from yiwen.tickets.models import Ticket


def post_bot_message(
    turn: Turn, text: str, *, visibility: str = "public", ticket_id: str | None = None
) -> None:
    held = turn.db.info.get(HELD_REPLIES)
    if held is not None and visibility == "public":
        # Posted after the turn commits, reworded by the LLM (yiwen.bot.rephrasing).
        held.append(HeldReply(text, ticket_id))
        return
    post_staff_message(
        turn.db,
        turn.clock,
        turn.conversation,
        sender_type="bot",
        sender_id=None,
        sender_name=replies.BOT_NAME,
        body=text,
        visibility=visibility,
        ticket_id=ticket_id,
        max_chars=max(turn.settings.message_max_chars, len(text)),
    )


def hand_off(turn: Turn, step: Step) -> Ticket:
    reason = step.reason or "needs_human"
    if step.category and turn.session.goal is None:
        turn.session.goal = step.category
    ticket = ensure_ticket(turn, step.category or turn.session.goal)
    category = category_for(step.category or turn.session.goal)
    priority = "urgent" if step.urgent else (step.priority or ticket.priority)
    tickets.update_fields(
        turn.db, turn.clock, ticket, actor=Actor.bot(), priority=priority, category=category
    )
    if step.urgent:
        ticket.urgent = True
    if step.wants:
        turn.remember("wants", step.wants)
    order_no = turn.fact("order_no")
    if order_no:
        tickets.link_order(turn.db, turn.clock, ticket, order_no, actor=Actor.bot())
    info = key_facts(turn, turn.session.goal, reason=reason)
    info["department"] = step.department
    ticket.key_info = {**(ticket.key_info or {}), **info}
    note = summary_text(info)
    tickets.add_event(turn.db, turn.clock, ticket, "note", Actor.bot(), body=note, data=info)
    for task in turn.fact_list("shop_owner_tasks"):
        # Its own timeline entry, so the shop owner's to-do is found without reading notes.
        tickets.add_event(
            turn.db,
            turn.clock,
            ticket,
            "action.needs_shop_owner",
            Actor.bot(),
            visibility="internal",
            body=task,
            data={"task": task, "order_no": order_no},
        )
    post_bot_message(turn, note, visibility="internal", ticket_id=ticket.id)
    turn.conversation.status = "waiting"
    emit(
        turn.db,
        "conversation.handed_off",
        conversation_id=turn.conversation.id,
        ticket_id=ticket.id,
        reason=reason,
        priority=ticket.priority,
        category=ticket.category,
        department=step.department,
    )
    next_step = replies.NEXT_STEP.get(step.department, replies.NEXT_STEP["general"])
    if reason == "complaint":
        next_step = replies.NEXT_STEP["complaint"]
    told = replies.HANDOFF.format(ticket=ticket.number, next_step=next_step)
    post_bot_message(turn, f"{step.text}\n{told}" if step.text else told, ticket_id=ticket.id)
    record_outcome(turn, "handed_off", reason=reason, ticket_id=ticket.id)
    turn.session.state = "handed_off"
    turn.session.pending = None
    return ticket


def record_outcome(turn: Turn, outcome: str, *, reason: str | None, ticket_id: str | None) -> None:
    """One outcome per conversation: a later handoff overwrites an earlier bot resolution."""
    row = turn.db.scalar(
        select(BotOutcome).where(BotOutcome.conversation_id == turn.conversation.id)
    )
    if row is None:
        row = BotOutcome(
            conversation_id=turn.conversation.id,
            customer_id=turn.customer.id,
            channel=turn.conversation.channel,
            created_at=turn.clock.now(),
            outcome=outcome,
        )
        turn.db.add(row)
    row.intent = turn.session.goal or row.intent
    row.outcome = outcome
    row.reason = reason
    row.ticket_id = ticket_id
    row.created_at = turn.clock.now()
    turn.db.flush()
