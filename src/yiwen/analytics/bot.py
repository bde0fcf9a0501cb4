"""Bot containment: the share of conversations the bot finished without a human.

The bot keeps one outcome row per conversation it handled (``resolved`` or
``handed_off``), rewritten to ``handed_off`` if a conversation it had resolved
is later passed to a person, so a conversation counts once, in the period its
outcome was first recorded, and as contained only if no human was needed.
"""

from __future__ import annotations

from sqlalchemy import case, func
from sqlalchemy.orm import Session

from yiwen.analytics.figures import Ratio
from yiwen.analytics.scope import Scope, grouped_rows
from yiwen.bot.models import BotOutcome


def containment(db: Session, scope: Scope) -> list[tuple[str | None, Ratio]]:
    if scope.agent_id is not None:
        return []  # no agent handles what the bot contained
    key = scope.key(
        day_of=BotOutcome.created_at,
        agent=None,
        category=BotOutcome.intent,
        channel=BotOutcome.channel,
        queue=None,
    )
    aggregates = [func.count(), func.sum(case((BotOutcome.outcome == "resolved", 1), else_=0))]
    where = scope.within(BotOutcome.created_at, None)
    return [
        (k, Ratio(n, int(contained or 0)))
        for k, n, contained in grouped_rows(db, key, aggregates, where)
    ]
