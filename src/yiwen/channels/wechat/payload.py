"""WeChat's pushed XML, read into what Yiwen does with it.

Messages (text, image, voice, video, location, link) become inbound messages
keyed by ``MsgId``. Events have no MsgId: they are keyed by
FromUserName + CreateTime + Event, which is how WeChat itself tells a retry
from a new event. A menu CLICK is the text the menu item means; a new
follower gets the welcome text; everything else (unsubscribe, VIEW, location
reports, template-message receipts) is acknowledged and stored nowhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from xml.parsers.expat import ExpatError

import xmltodict

from yiwen.channels.protocol import AccountView, InboundKind, InboundMessage
from yiwen.core.errors import InvalidInput

# Config entries "menu.<EventKey>" give the text a menu item stands for.
MENU_CONFIG_PREFIX = "menu."


@dataclass(frozen=True)
class Push:
    """One plaintext push: its string fields by element name."""

    fields: dict[str, str]

    def get(self, name: str) -> str:
        return self.fields.get(name, "")

    @property
    def openid(self) -> str:
        return self.get("FromUserName")

    @property
    def account_name(self) -> str:
        return self.get("ToUserName")

    @property
    def msg_type(self) -> str:
        return self.get("MsgType").lower()

    @property
    def event(self) -> str:
        return self.get("Event").lower()

    @property
    def dedup_key(self) -> str:
        if self.msg_type == "event":
            return f"{self.openid}:{self.get('CreateTime')}:{self.get('Event')}"
        return self.get("MsgId")

    @property
    def sent_at(self) -> datetime | None:
        created = self.get("CreateTime")
        return datetime.fromtimestamp(int(created), UTC) if created.isdigit() else None


@dataclass(frozen=True)
class Welcome:
    """A new follower: answer with the welcome text, store nothing."""

    text: str


def parse_push(xml: str | bytes) -> Push:
    try:
        document = xmltodict.parse(xml)
    except (ExpatError, ValueError, TypeError) as exc:
        raise InvalidInput("channel_payload_invalid") from exc
    root = document.get("xml") if isinstance(document, dict) else None
    if not isinstance(root, dict):
        raise InvalidInput("channel_payload_invalid")
    push = Push({str(k): v for k, v in root.items() if isinstance(v, str)})
    if not push.openid or not push.msg_type or not push.dedup_key:
        raise InvalidInput("channel_payload_invalid")
    return push


def interpret(
    push: Push, account: AccountView, default_welcome: str
) -> InboundMessage | Welcome | None:
    """What the push means for Yiwen: a message to store, a welcome, or nothing."""
    if push.msg_type == "event":
        return _event(push, account, default_welcome)
    kind, text = _message_text(push)
    if kind is None:
        return None
    return _inbound(push, kind, text)


def _message_text(push: Push) -> tuple[InboundKind | None, str]:
    match push.msg_type:
        case "text":
            return "text", push.get("Content")
        case "image":
            return "image", ""
        case "voice":
            # WeChat's own speech recognition (when enabled in the console) is the transcript.
            return "voice", push.get("Recognition")
        case "video" | "shortvideo":
            return "file", "[视频]"
        case "location":
            label = push.get("Label")
            where = f"{push.get('Location_X')},{push.get('Location_Y')}"
            return "location", f"[位置] {label} ({where})".replace("  ", " ")
        case "link":
            return "link", f"[链接] {push.get('Title')} {push.get('Url')}".strip()
    return None, ""


def _event(
    push: Push, account: AccountView, default_welcome: str
) -> InboundMessage | Welcome | None:
    if push.event == "subscribe":
        return Welcome(account.setting("welcome_text") or default_welcome)
    if push.event == "click":
        key = push.get("EventKey")
        text = account.setting(f"{MENU_CONFIG_PREFIX}{key}") or key
        return _inbound(push, "text", text) if text else None
    return None


def _inbound(push: Push, kind: InboundKind, text: str) -> InboundMessage:
    return InboundMessage(
        external_user_id=push.openid,
        external_msg_id=push.dedup_key,
        kind=kind,
        text=text,
        sent_at=push.sent_at,
        raw=dict(push.fields),
    )
