"""The few high-precision rules that override the model, each with the reason it exists."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Naming a regulator or a public complaint site is a threat the shop must treat as
# a complaint whatever else the message says; the flag lets the dialogue escalate.
_EXTERNAL_COMPLAINT = re.compile(
    r"12315|12345热线|黑猫|消协|消费者协会|工商局|市场监管|监管局|聚投诉|315晚会"
)
# An explicit request for a person is honoured before anything else is tried. "人工客服"
# alone also appears in reports ("人工客服说给我退款…"), so it counts only in a short
# message; the verbs (转/找/要人工) count anywhere.
_ASK_FOR_HUMAN = re.compile(r"[转找要接叫换]人工|人工服务|真人客服|^\W*人工\W*$")
_HUMAN_WORDS = re.compile(r"人工客服|人工|真人|活人")
_SHORT = 10


@dataclass(frozen=True)
class RuleHit:
    intent: str
    flags: frozenset[str]


def apply_rules(text: str) -> RuleHit | None:
    if _EXTERNAL_COMPLAINT.search(text):
        return RuleHit("complaint", frozenset({"external_complaint"}))
    if _ASK_FOR_HUMAN.search(text) or (
        _HUMAN_WORDS.search(text) and len(re.sub(r"\W", "", text)) <= _SHORT
    ):
        return RuleHit("human_agent", frozenset())
    return None
