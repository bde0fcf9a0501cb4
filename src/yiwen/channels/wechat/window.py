"""WeChat's 48-hour rule: customer-service messages reach a follower only within 48 hours
of the follower's last message or menu click.

The window itself is computed in :mod:`yiwen.channels.windows`. Outside the
window a reply is not sent, and the agent finds an internal note in the conversation saying so.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from yiwen.channels.inbound import identity_key, open_conversation_of
from yiwen.channels.models import ChannelAccount
from yiwen.channels.windows import WINDOW, WindowState, last_inbound_at, window_state
from yiwen.conversations.models import Conversation
from yiwen.conversations.service import post_staff_message
from yiwen.core.clock import Clock
from yiwen.core.i18n import translate
from yiwen.core.settings import Settings
from yiwen.customers.models import Identity

__all__ = [
    "WINDOW",
    "WindowState",
    "customer_of_follower",
    "last_inbound_at",
    "note_window_closed",
    "window_state",
]


def customer_of_follower(db: Session, account: ChannelAccount, openid: str) -> str | None:
    return db.scalar(
        select(Identity.customer_id).where(
            Identity.channel == account.channel,
            Identity.external_id == identity_key(account, openid),
        )
    )


def note_window_closed(
    db: Session,
    clock: Clock,
    settings: Settings,
    account: ChannelAccount,
    customer_id: str,
    state: WindowState,
) -> None:
    """Tell the agents, in the customer's conversation, that their reply did not go out."""
    conversation = open_conversation_of(db, account.id, customer_id) or db.scalar(
        select(Conversation)
        .where(
            Conversation.channel_account_id == account.id, Conversation.customer_id == customer_id
        )
        .order_by(Conversation.last_message_at.desc())
        .limit(1)
    )
    if conversation is None:
        return
    last = state.last_inbound_at
    post_staff_message(
        db,
        clock,
        conversation,
        sender_type="system",
        sender_id=None,
        sender_name="系统",
        body=translate(
            "wechat_window_closed_note",
            last=last.strftime("%Y-%m-%d %H:%M UTC") if last else "—",
        ),
        max_chars=settings.message_max_chars,
        visibility="internal",
    )
