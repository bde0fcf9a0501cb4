"""One bot turn: understand the message, remember its facts, pick the goal, run its SOP.

Rules the dialogue keeps: one question at a time (``session.pending``); a fact
once given is never asked for again (``session.facts``); an answer to the
pending question keeps the goal even when the NLU reads the bare answer as
another intent; a message the bot cannot place gets one clarifying question
with choices, and the second one in a row goes to a human.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from yiwen.auth.audit import Actor
from yiwen.bot import replies
from yiwen.bot.followups import check_followup, open_followups
from yiwen.bot.handoff import hand_off, post_bot_message, record_outcome
from yiwen.bot.models import BotSession
from yiwen.bot.nlu import AFFIRM, DENY, LOW_CONFIDENCE
from yiwen.bot.nlu.types import Understanding
from yiwen.bot.sops import SOPS
from yiwen.bot.turn import Step, Turn, ask, handoff, resolve, say
from yiwen.conversations.models import Conversation
from yiwen.core.clock import Clock
from yiwen.core.settings import Settings
from yiwen.customers.models import Customer
from yiwen.proactive.announcements.bot import announce_if_relevant, is_notice_preference
from yiwen.store.protocol import StoreConnector
from yiwen.tickets import service as tickets
from yiwen.tickets.models import Ticket

# Two failed attempts at the same question, or two unplaceable messages, go to a human.
MAX_FAILURES = 2
MAX_CLARIFICATIONS = 2
SLOT_FACTS = ("ticket_no", "time", "payment_method", "card_key")


def load_session(db: Session, conversation: Conversation, now: datetime) -> BotSession:
    session = db.get(BotSession, conversation.id)
    if session is None:
        session = BotSession(
            conversation_id=conversation.id,
            state="active",
            facts={},
            failures=0,
            clarifications=0,
            turns=0,
            last_message_id=0,
            created_at=now,
            updated_at=now,
        )
        db.add(session)
        db.flush()
    return session


def make_turn(
    db: Session,
    clock: Clock,
    settings: Settings,
    store: StoreConnector,
    conversation: Conversation,
    understanding: Understanding,
    text: str,
) -> Turn:
    customer = db.get_one(Customer, conversation.customer_id)
    session = load_session(db, conversation, clock.now())
    return Turn(db, clock, settings, store, conversation, customer, session, understanding, text)


def take_turn(turn: Turn) -> None:
    """Answer one customer message (the caller owns the transaction)."""
    turn.session.turns += 1
    turn.session.updated_at = turn.clock.now()
    if is_notice_preference(turn.text):
        return  # 退订/订阅 is answered by yiwen.proactive.announcements.optout
    for row in open_followups(turn):
        news = check_followup(turn, row)
        if news is not None:
            carry_out(turn, news)
            return
    absorb(turn)
    step = decide(turn)
    announce_if_relevant(turn)
    carry_out(turn, step)


def absorb(turn: Turn) -> None:
    """Remember every fact the message carries; a new order number replaces the old one."""
    slots = turn.understanding.slots
    if slots.order_no and slots.order_no[0] != turn.fact("order_no"):
        turn.remember("order_no", slots.order_no[0])
        if len(slots.order_no) > 1:
            turn.remember("other_order_nos", list(slots.order_no[1:]))
        turn.forget("proposed_order")
    contact = slots.phone or slots.email
    if contact:
        turn.remember("contact", contact)
    if slots.amount is not None:
        turn.remember("amount", str(slots.amount))
    for name in SLOT_FACTS:
        value = getattr(slots, name)
        if value:
            turn.remember(name, value)


def decide(turn: Turn) -> Step:
    u = turn.understanding
    session = turn.session
    confident = u.confidence >= LOW_CONFIDENCE
    if "external_complaint" in u.flags or (confident and u.intent == "complaint"):
        return handoff(
            "complaint",
            category="complaint",
            urgent=True,
            department="complaint",
            wants="投诉：" + turn.text[:80],
        )
    if confident and u.intent == "human_agent":
        return handoff("customer_request", category=session.goal)
    if session.pending == "confirm_order" and not u.slots.order_no and DENY in u.flags:
        # Not that order: ask for the right one, whatever else the NLU read into "不是".
        turn.forget("proposed_order")
        turn.remember("asked_order", True)
        return ask("order_no", replies.ASK_ORDER)
    answered = _answers_pending(turn)
    if session.pending == "clarify" and turn.text.strip() in replies.CLARIFY_CHOICES:
        session.goal = replies.CLARIFY_CHOICES[turn.text.strip()]
        if session.goal == "human_agent":
            session.goal = None
            return handoff("customer_request")
        answered = True
    elif confident and u.intent in SOPS and not (answered and session.goal):
        session.goal = u.intent
        answered = True
    if not answered:
        small = _small_talk(turn, confident)
        if small is not None:
            return small
        return _not_understood(turn)
    session.failures = 0 if answered and session.pending else session.failures
    session.clarifications = 0
    session.pending = None
    if session.goal is None:
        return _not_understood(turn)
    return SOPS[session.goal](turn)


def _answers_pending(turn: Turn) -> bool:
    pending = turn.session.pending
    slots = turn.understanding.slots
    if pending is None:
        return False
    if pending in ("order_no", "verify_contact"):
        return bool(slots.order_no or slots.phone or slots.email)
    if pending == "ticket_no":
        return slots.ticket_no is not None
    if pending == "confirm_order":
        if slots.order_no:
            return True
        proposed = turn.fact("proposed_order")
        if proposed and AFFIRM in turn.understanding.flags:
            turn.remember("order_no", proposed)
            turn.forget("proposed_order")
            return True
    return False


def _small_talk(turn: Turn, confident: bool) -> Step | None:
    intent = turn.understanding.intent
    if not confident or intent not in ("greeting", "thanks"):
        return None
    if intent == "thanks":
        if turn.session.goal is None or turn.session.state != "active":
            return resolve(replies.THANKS)
        return say(replies.THANKS_OPEN)
    if turn.session.pending is not None:
        return Step("ask", replies.GREETING, pending=turn.session.pending)
    return say(replies.GREETING)


def _not_understood(turn: Turn) -> Step:
    session = turn.session
    if session.pending is not None and session.pending != "clarify":
        session.failures += 1
        if session.failures >= MAX_FAILURES:
            return handoff("repeated_failure")
        return ask(session.pending, _repeat_question(session.pending))
    session.clarifications += 1
    if session.clarifications >= MAX_CLARIFICATIONS:
        return handoff("low_confidence")
    return ask("clarify", replies.CLARIFY)


def _repeat_question(pending: str) -> str:
    if pending == "verify_contact":
        return "请发一下下单时填写的手机号或邮箱，核对后我马上处理。"
    if pending == "ticket_no":
        return "请发一下工单号，我帮您查进度。"
    return replies.ASK_ORDER


def carry_out(turn: Turn, step: Step) -> None:
    session = turn.session
    if step.kind == "handoff":
        hand_off(turn, step)
        return
    ticket_id = session.ticket_id
    post_bot_message(turn, step.text, ticket_id=ticket_id)
    session.pending = step.pending if step.kind == "ask" else None
    if step.kind != "resolve":
        return
    if ticket_id is not None:
        _resolve_ticket(turn, turn.db.get_one(Ticket, ticket_id), step.text)
    record_outcome(turn, "resolved", reason=None, ticket_id=ticket_id)
    turn.conversation.status = "resolved"
    session.state = "resolved"


def _resolve_ticket(turn: Turn, ticket: Ticket, note: str) -> None:
    if ticket.status in ("resolved", "closed"):
        return
    # Card keys never go into the ticket's public resolution note.
    text = note.split("\n", 1)[0]
    tickets.resolve_ticket(turn.db, turn.clock, ticket, actor=Actor.bot(), note=text)
