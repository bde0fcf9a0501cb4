"""Items of kf/sync_msg's ``msg_list`` read into inbound messages.

Only ``origin`` 3 is the customer; 4 is a system event (session entered,
state changed, send failed) and 5 a message a WeCom servicer sent from the
WeCom client, neither of which is the customer speaking. Items for another
customer-service account of the same corp are skipped.
"""

from __future__ import annotations

from datetime import UTC, datetime

from yiwen.channels.protocol import AccountView, InboundKind, InboundMessage

ORIGIN_CUSTOMER = 3


def inbound_of(item: dict[str, object], account: AccountView) -> InboundMessage | None:
    if item.get("origin") != ORIGIN_CUSTOMER:
        return None
    open_kfid = account.setting("open_kfid")
    if open_kfid and item.get("open_kfid") != open_kfid:
        return None
    msgid, user = item.get("msgid"), item.get("external_userid")
    if not isinstance(msgid, str) or not msgid or not isinstance(user, str) or not user:
        return None
    kind, text = _content(item)
    if kind is None:
        return None
    sent = item.get("send_time")
    return InboundMessage(
        external_user_id=user,
        external_msg_id=msgid,
        kind=kind,
        text=text,
        sent_at=datetime.fromtimestamp(sent, UTC) if isinstance(sent, int) else None,
        raw=dict(item),
    )


def _part(item: dict[str, object], name: str) -> dict[str, object]:
    value = item.get(name)
    return value if isinstance(value, dict) else {}


def _content(item: dict[str, object]) -> tuple[InboundKind | None, str]:
    msgtype = item.get("msgtype")
    if msgtype == "text":
        return "text", str(_part(item, "text").get("content") or "")
    if msgtype == "image":
        return "image", ""
    if msgtype == "voice":
        return "voice", ""
    if msgtype in ("file", "video"):
        return "file", ""
    if msgtype == "location":
        where = _part(item, "location")
        return "location", f"[位置] {where.get('name', '')} {where.get('address', '')}".strip()
    if msgtype == "link":
        link = _part(item, "link")
        return "link", f"[链接] {link.get('title', '')} {link.get('url', '')}".strip()
    if msgtype in ("business_card", "miniprogram", "channels_shop_product", "channels_shop_order"):
        return "link", f"[{msgtype}]"
    return None, ""
