"""Telegram tests: a Bot API peer on loopback and a bot account pointing at it."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from tests.channels.telegram.peer import TelegramPeer
from yiwen.auth.audit import Actor
from yiwen.channels.accounts import create_account
from yiwen.core.clock import FixedClock
from yiwen.core.db import Database
from yiwen.core.settings import Settings

BOT_TOKEN = "7012345678:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
WEBHOOK_SECRET = "tg-webhook-secret_0123456789"
CHAT_ID = 5550001
DATE = 1763776800


@pytest.fixture(scope="session")
def telegram_session() -> Iterator[TelegramPeer]:
    peer = TelegramPeer(token=BOT_TOKEN)
    peer.start()
    yield peer
    peer.stop()


@pytest.fixture
def telegram(telegram_session: TelegramPeer) -> TelegramPeer:
    telegram_session.reset()
    return telegram_session


def make_bot_account(
    database: Database,
    clock: FixedClock,
    settings: Settings,
    peer: TelegramPeer,
    *,
    webhook_secret: str | None = WEBHOOK_SECRET,
) -> str:
    secrets = {"bot_token": BOT_TOKEN}
    if webhook_secret:
        secrets["webhook_secret"] = webhook_secret
    with database.transaction() as db:
        account = create_account(
            db,
            clock,
            settings,
            channel="telegram",
            name="店铺 Telegram 机器人",
            config={"api_base": peer.url},
            secrets=secrets,
            actor=Actor.system(),
        )
        return account.id


@pytest.fixture
def bot_account(
    database: Database, clock: FixedClock, settings: Settings, telegram: TelegramPeer
) -> str:
    return make_bot_account(database, clock, settings, telegram)


def sender(chat_id: int = CHAT_ID) -> dict[str, object]:
    return {
        "id": chat_id,
        "is_bot": False,
        "first_name": "小",
        "last_name": "王",
        "username": "xiaowang",
        "language_code": "zh-hans",
    }


def message_update(update_id: int, message_id: int, **content: object) -> dict[str, object]:
    """An update with a private message, as Telegram posts it to a webhook."""
    return {
        "update_id": update_id,
        "message": {
            "message_id": message_id,
            "from": sender(),
            "chat": {
                "id": CHAT_ID,
                "first_name": "小",
                "last_name": "王",
                "username": "xiaowang",
                "type": "private",
            },
            "date": DATE,
            **content,
        },
    }


def post_update(
    client: TestClient,
    account_id: str,
    update: dict[str, object],
    *,
    secret: str | None = WEBHOOK_SECRET,
) -> Response:
    headers = {"content-type": "application/json"}
    if secret is not None:
        headers["x-telegram-bot-api-secret-token"] = secret
    body = json.dumps(update, ensure_ascii=False).encode()
    return client.post(f"/channels/telegram/{account_id}", content=body, headers=headers)
