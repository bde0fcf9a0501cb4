"""Yes and no: how a customer answers the bot's yes/no questions (是这个订单吗？).

"是的", "对", "嗯", "没错" and "不是", "不对" carry no intent of their own; read by
the intent model they come out as whatever they look most like ("不对" as a
broken card, "是的" as a question before buying). The dialogue needs their
polarity instead, so the NLU reports it as a flag ("affirm" / "deny") on every
message that opens with one, and a message that is nothing but one is not given
an intent at all (``is_bare_reply``).
"""

from __future__ import annotations

import re

AFFIRM = "affirm"
DENY = "deny"

# Read at the start of the message: "不是这个单" is a no, "这个不是我买的" is not an
# answer at all, and "是不是发错了" / "对不起" / "好久没到" are neither yes nor no.
_DENY = re.compile(
    r"^(?:不是|不对|并不是|都不是|错了|搞错了|不不|否|别的|另一|换一个|no(?![a-z])|nope)",
    re.IGNORECASE,
)
_AFFIRM = re.compile(
    r"^(?:是的|是啊|是呀|是滴|对的|对啊|对呀|对对|没错|没问题|正确|确认|确定|就是|是这个|嗯|恩|好的|好滴|好嘞"
    r"|可以|yes|yep|yeah|ok(?![a-z])|okay)",
    re.IGNORECASE,
)
# A first word that is a whole answer only when it stands alone ("对，就是它").
_ALONE = {AFFIRM: ("是", "对", "好", "行"), DENY: ("不", "没有", "没")}
# Whole messages that are only a yes or a no (with particles and repeats).
_BARE = re.compile(
    r"^(?:(?:不是|不对|并不是|都不是|不|没有|没|否|是|对|嗯|恩|没错|正确|确认|确定|就是|yes|no|yep|nope)"
    r"(?:的|啊|呀|哦|喔|呢|了|吧|滴|这个|那个)*)+$",
    re.IGNORECASE,
)
_PUNCTUATION = re.compile(r"[\W_]+")


def reply_polarity(text: str) -> str | None:
    """``"affirm"``, ``"deny"`` or None for a message in normalised form."""
    first = next((chunk for chunk in _PUNCTUATION.split(text) if chunk), "")
    bare = _PUNCTUATION.sub("", text)
    if _DENY.match(bare) or first in _ALONE[DENY]:
        return DENY
    if _AFFIRM.match(bare) or first in _ALONE[AFFIRM]:
        return AFFIRM
    return None


def is_bare_reply(text: str) -> bool:
    """True when the message is a yes or a no and nothing else ("是的", "不对", "嗯嗯")."""
    bare = _PUNCTUATION.sub("", text)
    return bool(bare) and _BARE.match(bare) is not None
