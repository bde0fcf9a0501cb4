"""Fixtures of the WeChat OA adapter's tests: a WeChat API peer, an account pointing at it,
the app with its bot, and the platform side that signs and encrypts pushes."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.channels.wechat.peer import AES_KEY, APP_ID, APP_SECRET, TOKEN, ApiPeer, WechatServer
from tests.channels.wechat.peer import wechat_api_peer as make_peer
from tests.conftest import NOW
from yiwen.auth.audit import Actor
from yiwen.bot.nlu import understand
from yiwen.channels.accounts import create_account
from yiwen.core.clock import FixedClock
from yiwen.core.db import Database
from yiwen.core.settings import Settings


@pytest.fixture(scope="session", autouse=True)
def bot_warmed_up() -> None:
    """Load the bot's language models once: the first turn of a process pays seconds for
    them, and the reply-window tests measure turns, not start-up."""
    understand("你好，我的订单没到账", NOW)


@pytest.fixture
def api_peer() -> Iterator[ApiPeer]:
    peer = make_peer().start()
    yield peer
    peer.stop()


@pytest.fixture
def wechat() -> WechatServer:
    return WechatServer()


AccountMaker = Callable[..., str]


@pytest.fixture
def make_account(
    database: Database, clock: FixedClock, settings: Settings, api_peer: ApiPeer
) -> AccountMaker:
    def make(encrypt_mode: str = "plain", **config: object) -> str:
        with database.transaction() as db:
            account = create_account(
                db,
                clock,
                settings,
                channel="wechat",
                name=f"公众号（{encrypt_mode}）",
                config={
                    "app_id": APP_ID,
                    "encrypt_mode": encrypt_mode,
                    "api_base": api_peer.base,
                    **config,
                },
                secrets={"token": TOKEN, "encoding_aes_key": AES_KEY, "app_secret": APP_SECRET},
                actor=Actor.system(),
            )
            return account.id

    return make


@pytest.fixture
def wx_client(app: FastAPI, client: TestClient) -> Iterator[TestClient]:
    """The app (bot attached by its lifespan); the WeChat sender's own connection closed after."""
    yield client
    sender = app.state.worker.notifiers["channel"].adapters["wechat"].sender
    sender.close()
    api = getattr(app.state, "wechat_api", None)
    if api is not None:
        api.api.close()


def count(database: Database, model: type, *where: object) -> int:
    with database.reading() as db:
        return int(db.scalar(select(func.count()).select_from(model).where(*where)) or 0)
