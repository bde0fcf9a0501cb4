"""Optional LLM rewording of the bot's answers, done outside any database transaction.

With an LLM configured, a turn's public answers are held back instead of
posted (:data:`HELD_REPLIES` in the session's info, read by
``handoff.post_bot_message``); the turn's actions, audit and ticket changes
commit as usual. The held answers are then reworded by the model, with no
lock held while it thinks, and posted in a second transaction. Each answer
falls back to its template on any doubt: the model failed or was slow, its
wording added or dropped a fact, or the answer carries a secret (a card key
the customer did not type is never sent to a third-party model).

The cost: if the process dies between the two transactions, the customer
gets no answer to that message (the actions stand; a repeat of the question
is answered from the recorded state).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from yiwen.bot import replies
from yiwen.bot.llm.service import Assistant
from yiwen.conversations.models import Conversation
from yiwen.conversations.service import post_staff_message
from yiwen.core.clock import Clock
from yiwen.core.db import Database
from yiwen.core.settings import Settings

log = logging.getLogger("yiwen.bot")

# Session-info key: a list the turn's public answers are appended to instead of posted.
HELD_REPLIES = "yiwen_bot_held_replies"
# Long runs of letters and digits: card keys, and also order numbers the customer typed.
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{9,}")


@dataclass(frozen=True)
class HeldReply:
    text: str
    ticket_id: str | None


def reworded(assistant: Assistant, text: str, customer_message: str) -> str:
    """The model's wording of ``text``, or ``text`` when it must not or could not be reworded."""
    customer_tokens = {token.upper() for token in _TOKEN.findall(customer_message)}
    if any(token.upper() not in customer_tokens for token in _TOKEN.findall(text)):
        return text
    return assistant.rephrase(text, customer_message)


def post_held_replies(
    database: Database,
    clock: Clock,
    settings: Settings,
    assistant: Assistant,
    conversation_id: str,
    held: list[HeldReply],
    customer_message: str,
) -> None:
    texts = []
    for reply in held:
        try:
            texts.append(reworded(assistant, reply.text, customer_message))
        except Exception:  # the template is always a correct answer
            log.exception("rewording failed in conversation %s", conversation_id)
            texts.append(reply.text)
    with database.transaction() as db:
        conversation = db.get(Conversation, conversation_id)
        if conversation is None:
            return
        for reply, text in zip(held, texts, strict=True):
            post_staff_message(
                db,
                clock,
                conversation,
                sender_type="bot",
                sender_id=None,
                sender_name=replies.BOT_NAME,
                body=text,
                ticket_id=reply.ticket_id,
                max_chars=max(settings.message_max_chars, len(text)),
            )
