"""OneBot v11 message segments, whichever of the two formats the implementation posts.

An implementation posts ``message`` either as a string with CQ codes
(``"[CQ:at,qq=10000] 卡密没到"``) or as an array of segments
(``[{"type": "at", "data": {"qq": "10000"}}, {"type": "text", …}]``), as its
``post_message_format`` setting says. Both become the same list of
:class:`Segment` here, so the rest of the adapter reads one shape.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_CQ_CODE = re.compile(r"\[CQ:([A-Za-z0-9_.\-]+)((?:,[^\]]*)?)\]")
# CQ escaping (OneBot v11 "CQ 码"): text escapes & [ ]; parameter values also escape the comma.
_UNESCAPES = (("&#91;", "["), ("&#93;", "]"), ("&#44;", ","), ("&amp;", "&"))


@dataclass(frozen=True)
class Segment:
    type: str
    data: dict[str, str] = field(default_factory=dict)

    def get(self, name: str) -> str:
        return self.data.get(name, "")


def unescape(text: str) -> str:
    for escaped, plain in _UNESCAPES:
        text = text.replace(escaped, plain)
    return text


def parse_cq_string(message: str) -> list[Segment]:
    """Segments of a CQ-coded string: plain runs become ``text`` segments."""
    segments: list[Segment] = []
    position = 0
    for match in _CQ_CODE.finditer(message):
        if match.start() > position:
            segments.append(Segment("text", {"text": unescape(message[position : match.start()])}))
        data: dict[str, str] = {}
        for pair in match.group(2).split(",")[1:]:
            key, _, value = pair.partition("=")
            if key:
                data[key] = unescape(value)
        segments.append(Segment(match.group(1), data))
        position = match.end()
    if position < len(message):
        segments.append(Segment("text", {"text": unescape(message[position:])}))
    return segments


def parse_segment_array(message: list[object]) -> list[Segment]:
    """Segments of the array format; values are kept as strings (ids arrive as numbers too)."""
    segments: list[Segment] = []
    for item in message:
        if not isinstance(item, dict) or not isinstance(item.get("type"), str):
            continue
        raw = item.get("data")
        data = (
            {str(k): _as_text(v) for k, v in raw.items() if v is not None}
            if isinstance(raw, dict)
            else {}
        )
        segments.append(Segment(item["type"], data))
    return segments


def parse_message(message: object) -> list[Segment]:
    if isinstance(message, str):
        return parse_cq_string(message)
    if isinstance(message, list):
        return parse_segment_array(message)
    return []


def _as_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
