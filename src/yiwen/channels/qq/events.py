"""What Yiwen takes from a OneBot v11 event: private messages and group messages that @ the bot.

Everything else (meta events such as heartbeats and lifecycle, notices,
requests, the bot's own messages, group chatter that does not @ the bot) is
read as ``None`` and acknowledged without storing anything.

Who the customer is: a private chat's sender is ``"<qq>"``; a group sender is
``"group:<group id>:<qq>"``. The group is part of the identity because a reply
must go back where the question was asked (in the group, with an @ of the
asker), and the outbound side has only the identity to go on. The same person
writing privately and in a group is therefore two identities until they are
linked like any other pair.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from yiwen.channels.protocol import InboundKind
from yiwen.channels.qq.segments import Segment, parse_message

GROUP_PREFIX = "group:"
# Segments shown as a short Chinese label, since they carry nothing Yiwen can keep as text.
_LABELS = {
    "face": "[表情]",
    "mface": "[表情]",
    "bface": "[表情]",
    "sface": "[表情]",
    "marketface": "[表情]",
    "dice": "[表情]",
    "rps": "[表情]",
    "record": "[语音]",
    "video": "[视频]",
    "reply": "[回复消息]",
    "forward": "[合并转发消息]",
    "node": "[合并转发消息]",
    "json": "[卡片消息]",
    "xml": "[卡片消息]",
    "poke": "[戳一戳]",
    "shake": "[戳一戳]",
    "contact": "[名片]",
    "music": "[音乐分享]",
    "anonymous": "",
}
_STICKERS = frozenset({"face", "mface", "bface", "sface", "marketface", "dice", "rps"})


@dataclass(frozen=True)
class ImageRef:
    url: str
    filename: str


@dataclass(frozen=True)
class QQMessage:
    message_id: str
    user_key: str
    kind: InboundKind
    text: str
    display_name: str | None
    images: tuple[ImageRef, ...]
    sent_at: datetime | None


def group_user_key(group_id: str, user_id: str) -> str:
    return f"{GROUP_PREFIX}{group_id}:{user_id}"


def split_user_key(user_key: str) -> tuple[str | None, str]:
    """(group id or None, QQ number) of an identity's user part."""
    if user_key.startswith(GROUP_PREFIX):
        group_id, _, user_id = user_key.removeprefix(GROUP_PREFIX).partition(":")
        return group_id, user_id
    return None, user_key


def read_event(event: dict[str, object]) -> QQMessage | None:
    """The customer message in ``event``, or None when the event is not one Yiwen answers."""
    if event.get("post_type") != "message":
        return None
    self_id = _id(event.get("self_id"))
    user_id = _id(event.get("user_id"))
    message_id = _id(event.get("message_id"))
    if not user_id or not message_id or user_id == self_id:
        return None
    segments = parse_message(event.get("message"))
    message_type = event.get("message_type")
    if message_type == "private":
        user_key = user_id
    elif message_type == "group":
        group_id = _id(event.get("group_id"))
        # Anonymous members cannot be answered by an @, nor told apart later.
        if not group_id or event.get("sub_type") == "anonymous":
            return None
        if not self_id or not _mentions(segments, self_id):
            return None
        user_key = group_user_key(group_id, user_id)
    else:
        return None
    text, kind, images = _normalise(segments, self_id)
    return QQMessage(
        message_id=message_id,
        user_key=user_key,
        kind=kind,
        text=text,
        display_name=_display_name(event.get("sender")),
        images=images,
        sent_at=_sent_at(event.get("time")),
    )


def _mentions(segments: list[Segment], self_id: str) -> bool:
    return any(s.type == "at" and s.get("qq") == self_id for s in segments)


def _normalise(
    segments: list[Segment], self_id: str
) -> tuple[str, InboundKind, tuple[ImageRef, ...]]:
    """Readable text with the bot's @ removed, the message kind and the images to fetch."""
    parts: list[str] = []
    images: list[ImageRef] = []
    types = {segment.type for segment in segments}
    for segment in segments:
        if segment.type == "text":
            parts.append(segment.get("text"))
        elif segment.type == "at":
            parts.append(_at_text(segment, self_id))
        elif segment.type == "image":
            url = segment.get("url")
            if url.startswith(("http://", "https://")):
                images.append(ImageRef(url, segment.get("file") or "image"))
            else:
                parts.append("[图片]")
        elif segment.type == "file":
            parts.append(f"[文件] {segment.get('name') or segment.get('file')}".strip())
        elif segment.type == "share":
            parts.append(f"[分享] {segment.get('title')} {segment.get('url')}".strip())
        elif segment.type == "location":
            parts.append(f"[位置] {segment.get('title')} {segment.get('content')}".strip())
        else:
            parts.append(_LABELS.get(segment.type, "[消息]"))
    text = " ".join(" ".join(parts).split()) if parts else ""
    return text, _kind(types, text, bool(images)), tuple(images)


def _at_text(segment: Segment, self_id: str) -> str:
    qq = segment.get("qq")
    if qq == self_id:
        return ""
    if qq == "all":
        return "@全体成员"
    return f"@{segment.get('name') or qq}"


def _kind(types: set[str], text: str, has_images: bool) -> InboundKind:
    if has_images or "image" in types:
        return "image"
    if "record" in types:
        return "voice"
    if "file" in types:
        return "file"
    if types and types <= _STICKERS | {"text"} and types & _STICKERS:
        stripped = text.replace("[表情]", "").strip()
        return "text" if stripped else "sticker"
    if "share" in types:
        return "link"
    if "location" in types:
        return "location"
    return "text"


def _display_name(sender: object) -> str | None:
    if not isinstance(sender, dict):
        return None
    for key in ("card", "nickname"):
        value = sender.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()[:100]
    return None


def _sent_at(value: object) -> datetime | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return datetime.fromtimestamp(value, UTC)
    return None


def _id(value: object) -> str:
    """A QQ / group / message id as text; OneBot sends numbers, some builds strings."""
    if isinstance(value, bool):
        return ""
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return value.strip()
    return ""
