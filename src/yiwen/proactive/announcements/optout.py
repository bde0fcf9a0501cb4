"""退订 / 订阅 in any conversation: the customer's choice, recorded with their message.

An in-transaction reaction to the customer's message, so the choice and the
message commit together whoever is on the conversation (bot or agent); the bot
stays silent on these words (yiwen.proactive.announcements.bot).
"""

from __future__ import annotations

from typing import cast

from sqlalchemy.orm import Session

from yiwen.auth.audit import Actor
from yiwen.conversations.models import Conversation
from yiwen.conversations.service import post_staff_message
from yiwen.core.clock import Clock
from yiwen.core.db import session_context
from yiwen.core.events import DomainEvent, bus
from yiwen.core.i18n import translate
from yiwen.core.settings import Settings
from yiwen.customers.models import Customer
from yiwen.notify.rules import PUSH_CHANNELS, CustomerNotice, queue_customer_notice
from yiwen.proactive.announcements import messages as _messages  # noqa: F401
from yiwen.proactive.announcements.recipients import OPT_IN_WORDS, OPT_OUT_WORDS, set_opt_out

SENDER = "一问公告"


def install_reactions() -> None:
    bus.subscribe_in_transaction("message.created", on_customer_message)


def on_customer_message(db: Session, event: DomainEvent) -> None:
    message = event.payload.get("message")
    if not isinstance(message, dict) or message.get("sender_type") != "customer":
        return
    word = str(message.get("body", "")).strip()
    if word not in OPT_OUT_WORDS and word not in OPT_IN_WORDS:
        return
    conversation = db.get(Conversation, str(message.get("conversation_id")))
    if conversation is None:
        return
    clock = cast(Clock, session_context(db, "clock"))
    opted_out = word in OPT_OUT_WORDS
    customer = db.get_one(Customer, conversation.customer_id)
    set_opt_out(
        db,
        clock,
        customer.id,
        opted_out=opted_out,
        source="reply",
        actor=Actor.customer(customer.id),
    )
    text = translate("announcement.opted_out" if opted_out else "announcement.opted_in")
    settings = session_context(db, "settings")
    assert isinstance(settings, Settings)
    post_staff_message(
        db,
        clock,
        conversation,
        sender_type="system",
        sender_id=None,
        sender_name=SENDER,
        body=text,
        max_chars=max(settings.message_max_chars, len(text)),
    )
    if conversation.channel in db.info.get(PUSH_CHANNELS, frozenset()):
        queue_customer_notice(
            db,
            CustomerNotice(
                key=f"opt:{message.get('id')}",
                event="announcement.preference",
                customer_id=customer.id,
                channel=conversation.channel,
                account_id=conversation.channel_account_id,
                subject=text,
                text=text,
                by_email=False,
            ),
        )
