"""Readable names for group keys: agents' display names, category names in Chinese."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from yiwen.auth.models import StaffUser
from yiwen.tickets.taxonomy import CATEGORIES

_CHANNELS = {
    "web": "网页",
    "api": "App/API",
    "shop": "店铺",
    "phone": "电话",
    "email": "邮件",
    "wechat": "微信公众号",
    "wecom": "微信客服",
    "qq": "QQ",
    "telegram": "Telegram",
}
_NONE = {"agent": "未分配/机器人", "queue": "未入队列", "category": "未分类", "channel": "未知渠道"}


def group_labels(db: Session, group_by: str, keys: list[str | None]) -> dict[str | None, str]:
    names: dict[str, str] = {}
    if group_by == "agent":
        ids = [k for k in keys if k is not None]
        query = select(StaffUser.id, StaffUser.display_name).where(StaffUser.id.in_(ids))
        names = {staff_id: name for staff_id, name in db.execute(query)}
    elif group_by == "category":
        names = {code: zh for code, (zh, _en) in CATEGORIES.items()}
    elif group_by == "channel":
        names = _CHANNELS
    return {k: _NONE.get(group_by, "") if k is None else names.get(k, k) for k in keys}
