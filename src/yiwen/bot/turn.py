"""One bot turn's world (database, clock, shop, conversation, memory) and what an SOP decides.

An SOP never writes a reply itself: it returns a :class:`Step` (say, ask,
resolve or hand off) and the dialogue carries it out, so every way a turn can
end is handled in one place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy.orm import Session

from yiwen.bot.models import BotSession
from yiwen.bot.nlu.types import Understanding
from yiwen.conversations.models import Conversation
from yiwen.core.clock import Clock
from yiwen.core.settings import Settings
from yiwen.customers.models import Customer
from yiwen.customers.service import contacts_of, shop_user_ids_of
from yiwen.store.protocol import StoreConnector

StepKind = Literal["say", "ask", "resolve", "handoff"]


@dataclass(frozen=True)
class Step:
    """What the turn ends with. ``pending`` names the question an ``ask`` waits on."""

    kind: StepKind
    text: str = ""
    pending: str | None = None
    reason: str | None = None
    category: str | None = None
    priority: str | None = None
    urgent: bool = False
    department: str = "general"
    wants: str | None = None


def say(text: str) -> Step:
    return Step("say", text)


def ask(pending: str, text: str) -> Step:
    return Step("ask", text, pending=pending)


def resolve(text: str) -> Step:
    return Step("resolve", text)


def handoff(
    reason: str,
    *,
    category: str | None = None,
    priority: str | None = None,
    urgent: bool = False,
    department: str = "general",
    wants: str | None = None,
    text: str = "",
) -> Step:
    return Step(
        "handoff",
        text,
        reason=reason,
        category=category,
        priority=priority,
        urgent=urgent,
        department=department,
        wants=wants,
    )


@dataclass
class Turn:
    db: Session
    clock: Clock
    settings: Settings
    store: StoreConnector
    conversation: Conversation
    customer: Customer
    session: BotSession
    understanding: Understanding
    text: str
    # Public replies already sent in this turn (a follow-up's news, a resent key…).
    said: list[str] = field(default_factory=list)

    @property
    def facts(self) -> dict[str, object]:
        return self.session.facts

    def fact(self, name: str) -> str | None:
        value = self.session.facts.get(name)
        return value if isinstance(value, str) and value else None

    def remember(self, name: str, value: object) -> None:
        # JSON columns only notice reassignment, never in-place mutation.
        self.session.facts = {**self.session.facts, name: value}

    def forget(self, name: str) -> None:
        self.session.facts = {k: v for k, v in self.session.facts.items() if k != name}

    def fact_list(self, name: str) -> list[str]:
        value = self.session.facts.get(name)
        return [str(v) for v in value] if isinstance(value, list) else []

    def add_to(self, name: str, value: str) -> None:
        items = self.fact_list(name)
        if value not in items:
            self.remember(name, [*items, value])

    def contacts(self) -> list[str]:
        """Phones and emails this customer is known by, plus one given in this conversation."""
        known = contacts_of(self.customer)
        given = self.fact("contact")
        return [*known, given] if given and given not in known else known

    def shop_user_ids(self) -> list[str]:
        return shop_user_ids_of(self.customer)
