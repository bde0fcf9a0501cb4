"""A complaint notice forwarded by email (12315 and 黑猫投诉 both notify merchants by mail).

The email channel reads the mailbox and parses the message; this module only
turns the parsed fields into a complaint. It reads the labelled lines these
notices carry (投诉编号, 订单号, 处理期限, 投诉人, 联系方式) and falls back to
the Message-ID as the reference, so the same mail forwarded twice registers
once. A complaint by mail is never refused for a deadline already past: it is
registered overdue, so the SLA sweep escalates it at once.
"""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from yiwen.auth.audit import Actor
from yiwen.complaints.models import ExternalComplaint
from yiwen.complaints.parsing import parse_deadline
from yiwen.complaints.service import NewComplaint, register_complaint
from yiwen.core.clock import Clock
from yiwen.core.errors import InvalidInput
from yiwen.core.settings import Settings
from yiwen.store.protocol import StoreConnector

_LABEL = r"[ \t]*[:：][ \t]*"
_REF = re.compile(
    r"(?:投诉编号|投诉单号|投诉号|工单编号|编号)" + _LABEL + r"([A-Za-z0-9_\-]{3,64})"
)
_ORDER = re.compile(r"订单(?:编号|号)" + _LABEL + r"([A-Za-z0-9_\-]{4,64})")
_DEADLINE = re.compile(
    r"(?:处理期限|截止时间|截止日期|回复期限|处理时限)" + _LABEL + r"([0-9年月日:：/\-. T]{8,25})"
)
_NAME = re.compile(r"投诉人(?:姓名)?" + _LABEL + r"([^\s，,；;]{1,50})")
_CONTACT = re.compile(r"(?:联系方式|联系电话|手机号?|邮箱)" + _LABEL + r"([^\s，,；;]{3,100})")
_URL = re.compile(r"https?://[^\s<>\"'，。）)]+")


def detect_platform(sender: str, subject: str, body: str) -> str:
    text = f"{sender}\n{subject}\n{body}".lower()
    if "12315" in text:
        return "12315"
    if "黑猫" in text or "tousu.sina" in text:
        return "heimao"
    if (
        "app store" in text
        or "apps.apple.com" in text
        or "应用商店" in text
        or "play.google" in text
    ):
        return "app_store"
    return "other"


def register_forwarded_complaint(
    db: Session,
    clock: Clock,
    settings: Settings,
    store: StoreConnector,
    *,
    subject: str,
    body: str,
    sender: str,
    message_id: str,
) -> tuple[ExternalComplaint, bool]:
    """Register the complaint a forwarded notice describes (idempotent by reference)."""
    text = body.strip() or subject.strip()
    found_ref = _first(_REF, f"{subject}\n{body}")
    deadline_text = _first(_DEADLINE, body)
    try:
        deadline = parse_deadline(deadline_text) if deadline_text else None
    except InvalidInput:
        deadline = None  # unreadable: the policy's target applies, the text keeps the date
    url = _URL.search(body)
    new = NewComplaint(
        platform=detect_platform(sender, subject, body),
        external_ref=found_ref or message_id.strip().strip("<>") or subject.strip(),
        text=f"{subject.strip()}\n\n{text}".strip() if subject.strip() else text,
        url=url.group(0) if url else None,
        complainant_name=_first(_NAME, body),
        complainant_contact=_first(_CONTACT, body),
        order_no=_first(_ORDER, body),
        external_deadline=deadline,
        source="email",
    )
    actor = Actor("system", None, f"email:{sender.strip()[:80]}")
    return register_complaint(
        db, clock, settings, store, new, actor=actor, allow_past_deadline=True
    )


def _first(pattern: re.Pattern[str], text: str) -> str | None:
    match = pattern.search(text)
    return match.group(1).strip() if match else None
