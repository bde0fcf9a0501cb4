"""Natural-language understanding for the bot: intent, confidence and slots, offline on CPU.

``understand(text, now)`` is the one entry point. Confidence below
``LOW_CONFIDENCE`` means the model is guessing: the dialogue should ask a
clarifying question or hand off rather than act on the intent.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from yiwen.bot.segment import cut

from .confirm import AFFIRM, DENY, is_bare_reply, reply_polarity
from .model import get_model, model_text
from .rules import apply_rules
from .slots import extract_slots
from .text import normalise
from .types import INTENTS, PAYMENT_METHODS, Slots, Understanding

__all__ = [
    "AFFIRM",
    "DENY",
    "INTENTS",
    "LOW_CONFIDENCE",
    "PAYMENT_METHODS",
    "Slots",
    "Understanding",
    "understand",
    "warm_up",
]

# Confidence is a probability (temperature-scaled, see model.py). On out-of-fold
# predictions over the training data with whole template lines held out (4,571
# examples, ``get_model().held_out``), messages at or above 0.5 were classified
# right 87% of the time and those below it only 47%: under 0.5 the intent is more
# likely wrong than right, so the dialogue asks or hands off instead of acting.
LOW_CONFIDENCE = 0.5
# Below this probability the best intent is a guess among several (29% right on the
# same out-of-fold data): the message is treated as out of scope, the guess stays
# in ``alternatives``.
OUT_OF_SCOPE_BELOW = 0.3
# Below this share of characters seen in training the message is not written in
# anything the model was taught (emoji strings, other scripts): out of scope.
MIN_COVERAGE = 0.5
# The confidence a high-precision rule (12315, 转人工) carries.
RULE_CONFIDENCE = 0.97


def understand(
    text: str,
    now: datetime,
    *,
    order_patterns: Sequence[str] | None = None,
    ticket_prefix: str = "YW",
) -> Understanding:
    """Intent, confidence and slots of one customer message.

    ``order_patterns`` are the store connector's ``order_no_patterns`` (full-match
    regular expressions); without them the demo shop's two formats are used.
    ``now`` anchors relative times (昨天, 半小时前); naive values are read as Shanghai time.
    A message opening with a yes or a no carries the flag "affirm" or "deny"; one that
    is nothing else ("是的", "不对") is out of scope for sure: it answers a question.
    """
    clean = normalise(text)
    reading = extract_slots(clean, now, order_patterns=order_patterns, ticket_prefix=ticket_prefix)
    polarity = reply_polarity(clean)
    answer = frozenset({polarity}) if polarity else frozenset()
    rule = apply_rules(clean)
    if rule is not None:
        return Understanding(rule.intent, RULE_CONFIDENCE, reading.slots, rule.flags | answer)
    if answer and is_bare_reply(clean):
        return Understanding("out_of_scope", RULE_CONFIDENCE, reading.slots, answer)
    prediction = get_model().predict(model_text(reading.masked))
    alternatives = tuple((name, round(p, 4)) for name, p in prediction.ranked)
    confidence = round(prediction.confidence, 4)
    if prediction.coverage < MIN_COVERAGE or confidence < OUT_OF_SCOPE_BELOW:
        # The model has no idea: saying "out of scope" is more honest than its best
        # guess, which stays available in ``alternatives``.
        return Understanding(
            "out_of_scope",
            min(confidence, OUT_OF_SCOPE_BELOW),
            reading.slots,
            answer,
            alternatives=alternatives,
        )
    return Understanding(
        prediction.intent, confidence, reading.slots, answer, alternatives=alternatives
    )


def warm_up() -> None:
    """Train the model now (a few seconds) instead of on the first customer message.

    The word segmenter is built here too: a model read back from its cache never
    segments, and building it (jieba's dictionary, ~5 s under load) would otherwise
    stall the first message's reactions (search index) in every app process.
    """
    get_model()
    cut("预热")
