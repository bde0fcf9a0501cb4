"""Reply windows: how long a platform lets Yiwen write to a customer after they last wrote.

WeChat Official Accounts take customer-service messages only within 48 hours
of the follower's last message or menu click; WeCom customer service the same
(and at most five messages in it). The moment is the newest inbound receipt
of that customer on that account (receipts are written once per platform
message, never for a redelivery), so it needs no table of its own. Channels
without such a rule have no window (``None``): the console shows nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yiwen.channels.models import InboundReceipt
from yiwen.conversations.models import Conversation
from yiwen.core.clock import Clock, as_utc

WINDOW = timedelta(hours=48)
WINDOW_CHANNELS = frozenset({"wechat", "wecom"})


@dataclass(frozen=True)
class WindowState:
    open: bool
    last_inbound_at: datetime | None
    closes_at: datetime | None


class ReplyWindowOut(BaseModel):
    """The conversation's reply window for the console (``None`` where the channel has none)."""

    channel: str
    open: bool
    last_inbound_at: datetime | None
    closes_at: datetime | None


def last_inbound_at(db: Session, account_id: str, customer_id: str) -> datetime | None:
    moment = db.scalar(
        select(func.max(InboundReceipt.received_at))
        .join(Conversation, Conversation.id == InboundReceipt.conversation_id)
        .where(InboundReceipt.account_id == account_id, Conversation.customer_id == customer_id)
    )
    return as_utc(moment) if moment is not None else None


def window_state(db: Session, clock: Clock, account_id: str, customer_id: str) -> WindowState:
    last = last_inbound_at(db, account_id, customer_id)
    if last is None:
        return WindowState(open=False, last_inbound_at=None, closes_at=None)
    closes_at = last + WINDOW
    return WindowState(open=clock.now() < closes_at, last_inbound_at=last, closes_at=closes_at)


def reply_window(db: Session, clock: Clock, conversation: Conversation) -> ReplyWindowOut | None:
    if conversation.channel not in WINDOW_CHANNELS or not conversation.channel_account_id:
        return None
    state = window_state(db, clock, conversation.channel_account_id, conversation.customer_id)
    return ReplyWindowOut(
        channel=conversation.channel,
        open=state.open,
        last_inbound_at=state.last_inbound_at,
        closes_at=state.closes_at,
    )
