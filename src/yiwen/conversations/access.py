"""How a customer proves who they are: a conversation token, or a token their shop signed.

Shop-signed token (documented in docs/api.md): ``<shop_user_id>.<expires>.<signature>``
where ``expires`` is a Unix timestamp and ``signature`` is the lower-case hex
HMAC-SHA256 of ``"<shop_user_id>.<expires>"`` under the shared shop secret.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from yiwen.conversations.models import Conversation
from yiwen.core.clock import Clock
from yiwen.core.errors import NotFound, Unauthenticated
from yiwen.core.i18n import register_messages
from yiwen.core.ids import hash_token
from yiwen.customers.service import find_or_create_customer

register_messages(
    {
        "customer_token_invalid": (
            "身份凭证无效或已过期，请刷新页面重新进入",
            "The customer token is invalid or expired",
        ),
        "customer_token_missing": ("缺少身份凭证", "A customer token is required"),
        "conversation_not_found": ("会话不存在", "Conversation not found"),
    }
)

MAX_SHOP_TOKEN_LIFETIME_S = 30 * 24 * 3600


@dataclass(frozen=True)
class CustomerPrincipal:
    """A customer acting on the public API; ``conversation_id`` is set for conversation tokens."""

    customer_id: str
    conversation_id: str | None = None
    shop_user_id: str | None = None


def sign_shop_token(secret: str, shop_user_id: str, expires: int) -> str:
    payload = f"{shop_user_id}.{expires}"
    signature = hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()
    return f"{payload}.{signature}"


def verify_shop_token(secret: str, token: str, now: datetime) -> str:
    """The shop user id a valid shop token names; raises for a forged or expired one."""
    try:
        shop_user_id, expires_text, signature = token.rsplit(".", 2)
        expires = int(expires_text)
    except ValueError:
        raise Unauthenticated("customer_token_invalid") from None
    expected = hmac.new(
        secret.encode(), f"{shop_user_id}.{expires_text}".encode(), hashlib.sha256
    ).hexdigest()
    if not shop_user_id or not hmac.compare_digest(expected, signature.lower()):
        raise Unauthenticated("customer_token_invalid")
    now_ts = int(now.timestamp())
    if expires < now_ts or expires > now_ts + MAX_SHOP_TOKEN_LIFETIME_S:
        raise Unauthenticated("customer_token_invalid")
    return shop_user_id


def principal_from_shop_token(
    db: Session, clock: Clock, secret: str, token: str
) -> CustomerPrincipal:
    shop_user_id = verify_shop_token(secret, token, clock.now())
    customer = find_or_create_customer(
        db, clock, channel="shop", external_id=shop_user_id, verified=True
    )
    return CustomerPrincipal(customer_id=customer.id, shop_user_id=shop_user_id)


def principal_from_conversation_token(db: Session, token: str) -> CustomerPrincipal:
    conversation = db.scalar(
        select(Conversation).where(Conversation.token_hash == hash_token(token))
    )
    if conversation is None:
        raise Unauthenticated("customer_token_invalid")
    return CustomerPrincipal(customer_id=conversation.customer_id, conversation_id=conversation.id)


def get_conversation_for(db: Session, who: CustomerPrincipal, conversation_id: str) -> Conversation:
    """The conversation, if this customer may see it; otherwise it does not exist for them."""
    conversation = db.get(Conversation, conversation_id)
    if conversation is None or conversation.customer_id != who.customer_id:
        raise NotFound("conversation_not_found")
    if who.conversation_id is not None and who.conversation_id != conversation.id:
        raise NotFound("conversation_not_found")
    return conversation
