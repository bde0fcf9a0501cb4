"""QQ tests: a OneBot v11 peer on loopback and a QQ account pointing at it."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select

from tests.channels.qq.peer import OneBotPeer, sign
from yiwen.auth.audit import Actor
from yiwen.channels.accounts import create_account
from yiwen.channels.models import InboundReceipt
from yiwen.conversations.models import Message
from yiwen.core.clock import FixedClock
from yiwen.core.db import Database
from yiwen.core.settings import Settings
from yiwen.customers.models import Customer

SECRET = "onebot-post-secret"
TOKEN = "onebot-access-token"
SELF_ID = 3000000001
EVENT_TIME = 1763776800  # 2025-11-22 10:00 Beijing time


@pytest.fixture(scope="session")
def onebot_session() -> Iterator[OneBotPeer]:
    peer = OneBotPeer(access_token=TOKEN, self_id=SELF_ID)
    peer.start()
    yield peer
    peer.stop()


@pytest.fixture
def onebot(onebot_session: OneBotPeer) -> OneBotPeer:
    onebot_session.reset()
    return onebot_session


def make_qq_account(
    database: Database,
    clock: FixedClock,
    settings: Settings,
    peer: OneBotPeer,
    *,
    secret: str | None = SECRET,
    media_hosts: str = "127.0.0.1",
) -> str:
    with database.transaction() as db:
        account = create_account(
            db,
            clock,
            settings,
            channel="qq",
            name="店铺QQ客服",
            config={
                "api_base": peer.url,
                "media_hosts": media_hosts,
                # The peer serves images on loopback; production keeps the SSRF guard closed.
                "media_allow_private": True,
            },
            secrets={"access_token": TOKEN, **({"secret": secret} if secret else {})},
            actor=Actor.system(),
        )
        return account.id


@pytest.fixture
def qq_account(
    database: Database, clock: FixedClock, settings: Settings, onebot: OneBotPeer
) -> str:
    return make_qq_account(database, clock, settings, onebot)


def private_event(message_id: int, message: object, *, user_id: int = 10001) -> dict[str, object]:
    """A private message as NapCat posts it (``message`` a CQ string or a segment array)."""
    return {
        "self_id": SELF_ID,
        "user_id": user_id,
        "time": EVENT_TIME,
        "message_id": message_id,
        "message_seq": message_id,
        "real_id": message_id,
        "message_type": "private",
        "sender": {"user_id": user_id, "nickname": "买家小王", "card": ""},
        "raw_message": message if isinstance(message, str) else "",
        "font": 14,
        "sub_type": "friend",
        "message": message,
        "message_format": "string" if isinstance(message, str) else "array",
        "post_type": "message",
    }


def group_event(
    message_id: int, message: object, *, group_id: int = 20001, user_id: int = 10001
) -> dict[str, object]:
    return {
        **private_event(message_id, message, user_id=user_id),
        "message_type": "group",
        "sub_type": "normal",
        "group_id": group_id,
        "sender": {
            "user_id": user_id,
            "nickname": "买家小王",
            "card": "小王（退款中）",
            "role": "member",
        },
    }


def post_event(
    client: TestClient,
    account_id: str,
    event: dict[str, object],
    *,
    secret: str | None = SECRET,
    signature: str | None = None,
) -> Response:
    body = json.dumps(event, ensure_ascii=False).encode()
    headers = {"content-type": "application/json", "x-self-id": str(SELF_ID)}
    if signature is not None:
        headers["x-signature"] = signature
    elif secret is not None:
        headers["x-signature"] = sign(secret, body)
    return client.post(f"/channels/qq/{account_id}", content=body, headers=headers)


def stored_counts(database: Database) -> tuple[int, int, int]:
    """(customers, messages, inbound receipts): what an inbound event may have written."""
    with database.reading() as db:
        return (
            db.scalar(select(func.count()).select_from(Customer)) or 0,
            db.scalar(select(func.count()).select_from(Message)) or 0,
            db.scalar(select(func.count()).select_from(InboundReceipt)) or 0,
        )
