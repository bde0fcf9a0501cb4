"""SOPs that only look things up: order status, ticket progress, help-center answers,
and the intents only a human can settle."""

from __future__ import annotations

from yiwen.bot import replies
from yiwen.bot.kb.service import knowledge_base
from yiwen.bot.orders import same_contact
from yiwen.bot.sops.common import order_for
from yiwen.bot.turn import Step, Turn, ask, handoff, resolve
from yiwen.core.clock import to_local
from yiwen.core.errors import NotFound
from yiwen.tickets.models import Ticket
from yiwen.tickets.service import get_ticket_by_number, recent_tickets_of_customer
from yiwen.tickets.status import STATUS_LABELS
from yiwen.tickets.taxonomy import CATEGORIES

# Who takes the intents the bot cannot settle itself.
HUMAN_DEPARTMENT = {
    "balance_issue": "finance",
    "promo_issue": "general",
    "bulk_purchase": "general",
}


def order_status(turn: Turn) -> Step:
    found = order_for(turn, "order_status")
    if isinstance(found, Step):
        return found
    status = replies.ORDER_STATUS_LABELS.get(found.status, found.status)
    product = found.items[0].product_name if found.items else "-"
    return resolve(
        replies.ORDER_STATUS.format(
            order_no=found.order_no,
            product=product,
            amount=replies.money(found.amount),
            status=status,
        )
    )


def ticket_progress(turn: Turn) -> Step:
    ticket = _ticket_of(turn)
    if ticket is None:
        if not turn.facts.get("asked_ticket"):
            turn.remember("asked_ticket", True)
            return ask(
                "ticket_no", replies.NO_TICKET.format(prefix=turn.settings.ticket_number_prefix)
            )
        return handoff("ticket_unknown", wants="查询工单进度")
    status = STATUS_LABELS.get(ticket.status, (ticket.status,))[0]
    due = (
        ""
        if ticket.due_at is None or ticket.status in ("resolved", "closed")
        else (replies.TICKET_DUE.format(due=f"{to_local(ticket.due_at):%m-%d %H:%M}"))
    )
    return resolve(
        replies.TICKET_STATUS.format(
            number=ticket.number,
            category=CATEGORIES.get(ticket.category, (ticket.category,))[0],
            status=status,
            due=due,
        )
    )


def _ticket_of(turn: Turn) -> Ticket | None:
    number = turn.fact("ticket_no")
    if number:
        try:
            ticket = get_ticket_by_number(turn.db, number)
        except NotFound:
            return None
        # Another customer's ticket is as good as unknown, unless they also know its contact
        # (the same proof the public ticket tracking asks for).
        owner = ticket.customer_id == turn.customer.id
        knows = any(same_contact(c, ticket.contact) for c in turn.contacts())
        return ticket if owner or knows else None
    recent = [
        t
        for t in recent_tickets_of_customer(turn.db, turn.customer.id, limit=5)
        if t.id != turn.session.ticket_id
    ]
    return recent[0] if recent else None


def knowledge_answer(turn: Turn) -> Step:
    """How-to and pre-sale questions: the help center's best article, else a human."""
    intent = turn.session.goal
    answer = knowledge_base(turn.settings).answer_for(turn.text, intent)
    if answer is None:
        return handoff("kb_no_answer", category=intent, wants="咨询：" + turn.text[:60])
    return resolve(f"{answer.title}\n{answer.summary}\n详细说明：{answer.url}")


def needs_human(turn: Turn) -> Step:
    intent = turn.session.goal or "other"
    return handoff(
        "needs_human", category=intent, department=HUMAN_DEPARTMENT.get(intent, "general")
    )
