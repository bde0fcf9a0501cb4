"""What Yiwen takes from a Telegram ``Update``: customers' messages in private chats.

A message is keyed ``"<chat id>:<message id>"`` (message ids count per chat),
which is what a redelivered update repeats, so a redelivery is stored once.
An edited message (``edited_message``) is stored as a new customer message,
keyed with its ``edit_date`` and marked "[已编辑]": after-sales customers edit
to correct an order number, and agents must see the correction. Groups,
channels, bots and other update kinds (callback queries, membership changes)
are acknowledged and ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from yiwen.channels.protocol import InboundKind

EDITED_MARK = "[已编辑]"
# Media Yiwen does not keep, shown as a label (with the caption, if any).
_LABELLED: dict[str, tuple[InboundKind, str]] = {
    "voice": ("voice", "[语音]"),
    "audio": ("voice", "[音频]"),
    "video": ("file", "[视频]"),
    "video_note": ("file", "[视频]"),
    "animation": ("sticker", "[动图]"),
}


@dataclass(frozen=True)
class FileRef:
    file_id: str
    filename: str
    size: int | None


@dataclass(frozen=True)
class TelegramMessage:
    update_id: int
    chat_id: str
    key: str
    kind: InboundKind
    text: str
    display_name: str | None
    files: tuple[FileRef, ...]
    sent_at: datetime | None


def read_update(update: dict[str, object]) -> TelegramMessage | None:
    update_id = update.get("update_id")
    if not isinstance(update_id, int) or isinstance(update_id, bool):
        return None
    edited = "message" not in update and "edited_message" in update
    message = update.get("edited_message" if edited else "message")
    if not isinstance(message, dict):
        return None
    chat, sender = message.get("chat"), message.get("from")
    if not isinstance(chat, dict) or chat.get("type") != "private":
        return None
    if isinstance(sender, dict) and sender.get("is_bot") is True:
        return None
    chat_id, message_id = _int(chat.get("id")), _int(message.get("message_id"))
    if chat_id is None or message_id is None:
        return None
    key = f"{chat_id}:{message_id}"
    if edited:
        key += f":edit:{_int(message.get('edit_date')) or update_id}"
    text, kind, files = _content(message)
    if edited:
        text = f"{EDITED_MARK} {text}".strip()
    return TelegramMessage(
        update_id=update_id,
        chat_id=str(chat_id),
        key=key,
        kind=kind,
        text=text,
        display_name=_display_name(sender),
        files=files,
        sent_at=_date(message.get("date")),
    )


def _content(message: dict[str, object]) -> tuple[str, InboundKind, tuple[FileRef, ...]]:
    text = _str(message.get("text")) or _str(message.get("caption"))
    photo = message.get("photo")
    if isinstance(photo, list) and photo:
        largest = _largest_photo(photo)
        files = (FileRef(largest, "photo.jpg", None),) if largest else ()
        return text, "image", files
    document = message.get("document")
    if isinstance(document, dict) and isinstance(document.get("file_id"), str):
        name = _str(document.get("file_name")) or "document"
        ref = FileRef(document["file_id"], name, _int(document.get("file_size")))
        return text or f"[文件] {name}", "file", (ref,)
    sticker = message.get("sticker")
    if isinstance(sticker, dict):
        return f"[表情]{_str(sticker.get('emoji'))}", "sticker", ()
    for field, (kind, label) in _LABELLED.items():
        if isinstance(message.get(field), dict):
            return f"{label} {text}".strip(), kind, ()
    location = message.get("location")
    if isinstance(location, dict):
        return f"[位置] {location.get('latitude')},{location.get('longitude')}", "location", ()
    if isinstance(message.get("contact"), dict):
        return "[名片]", "text", ()
    return text or "[不支持的消息类型]", "text", ()


def _largest_photo(sizes: list[object]) -> str | None:
    """Telegram lists a photo in several sizes; the evidence is the biggest one."""
    best: tuple[int, str] | None = None
    for size in sizes:
        if not isinstance(size, dict) or not isinstance(size.get("file_id"), str):
            continue
        area = (_int(size.get("width")) or 0) * (_int(size.get("height")) or 0)
        weight = _int(size.get("file_size")) or area
        if best is None or weight >= best[0]:
            best = (weight, size["file_id"])
    return best[1] if best else None


def _display_name(sender: object) -> str | None:
    if not isinstance(sender, dict):
        return None
    name = " ".join(
        part for part in (_str(sender.get("first_name")), _str(sender.get("last_name"))) if part
    )
    name = name or _str(sender.get("username"))
    return name[:100] or None


def _date(value: object) -> datetime | None:
    seconds = _int(value)
    return datetime.fromtimestamp(seconds, UTC) if seconds else None


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _str(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""
