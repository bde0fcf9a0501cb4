"""Helpers for identity tests: customers arriving on real channels and the codes they receive."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from yiwen.auth.audit import Actor
from yiwen.channels.accounts import create_account
from yiwen.channels.inbound import Received, receive
from yiwen.channels.models import ChannelAccount
from yiwen.channels.protocol import InboundMessage
from yiwen.conversations.access import sign_shop_token
from yiwen.core.clock import FixedClock
from yiwen.core.db import Database
from yiwen.core.settings import Settings
from yiwen.notify.models import OutboxEntry

CODES = "/api/v1/customer/identity/verifications"


def make_account(
    database: Database, clock: FixedClock, settings: Settings, channel: str
) -> ChannelAccount:
    with database.transaction() as db:
        account = create_account(
            db,
            clock,
            settings,
            channel=channel,
            name=f"{channel} 账号",
            config={"api_base": "http://127.0.0.1:9"},
            secrets={"token": "not-used-here"},
            actor=Actor.system(),
        )
        db.expunge(account)
        return account


def inbound(
    database: Database,
    clock: FixedClock,
    settings: Settings,
    account: ChannelAccount,
    user: str,
    msg_id: str,
    text: str,
) -> Received:
    """A message arriving on ``account`` exactly as an adapter hands it over after its checks."""
    with database.transaction() as db:
        attached = db.get(ChannelAccount, account.id)
        assert attached is not None
        return receive(
            db,
            clock,
            settings,
            attached,
            InboundMessage(external_user_id=user, external_msg_id=msg_id, kind="text", text=text),
        )


def widget_customer(client: TestClient, **extra: str) -> tuple[dict[str, str], dict[str, object]]:
    """A web-widget visitor: the conversation token's headers and the conversation."""
    response = client.post("/api/v1/customer/conversations", json={"channel": "web", **extra})
    assert response.status_code == 201, response.text
    body = response.json()
    return {"X-Conversation-Token": body["token"]}, body["conversation"]


def shop_headers(settings: Settings, clock: FixedClock, shop_user_id: str) -> dict[str, str]:
    expires = int(clock.now().timestamp()) + 600
    token = sign_shop_token(settings.resolved_shop_token_secret(), shop_user_id, expires)
    return {"X-Shop-Token": token}


def sent_code(database: Database, verification_id: str) -> tuple[str, str, str]:
    """(kind, recipient, code) of the message queued for a verification, as the worker sends it."""
    with database.reading() as db:
        entry = db.scalar(
            select(OutboxEntry).where(
                OutboxEntry.idempotency_key == f"identity-code:{verification_id}"
            )
        )
        assert entry is not None
        params = entry.payload["params"]
        assert isinstance(params, dict)
        return entry.kind, entry.recipient, str(params["code"])


def request_code(
    client: TestClient, database: Database, headers: dict[str, str], contact: str
) -> tuple[str, str]:
    """(verification id, code) after asking for a code to ``contact``."""
    response = client.post(CODES, json={"contact": contact}, headers=headers)
    assert response.status_code == 201, response.text
    verification_id = response.json()["id"]
    return verification_id, sent_code(database, verification_id)[2]
