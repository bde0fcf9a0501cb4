"""Fixtures of the WeCom customer-service adapter's tests: the API peer, an account pointing
at it, and the platform side that encrypts callbacks."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.channels.wechat.conftest import bot_warmed_up
from tests.channels.wechat.peer import ApiPeer
from tests.channels.wecom.peer import (
    AES_KEY,
    CORP_ID,
    OPEN_KFID,
    SECRET,
    TOKEN,
    KfState,
    WecomServer,
    wecom_api_peer,
)
from yiwen.auth.audit import Actor
from yiwen.channels.accounts import create_account
from yiwen.core.clock import FixedClock
from yiwen.core.db import Database
from yiwen.core.settings import Settings

__all__ = ["bot_warmed_up"]


@pytest.fixture
def kf() -> KfState:
    return KfState()


@pytest.fixture
def api_peer(kf: KfState) -> Iterator[ApiPeer]:
    peer = wecom_api_peer(kf).start()
    yield peer
    peer.stop()


@pytest.fixture
def wecom() -> WecomServer:
    return WecomServer()


@pytest.fixture
def account_id(database: Database, clock: FixedClock, settings: Settings, api_peer: ApiPeer) -> str:
    with database.transaction() as db:
        account = create_account(
            db,
            clock,
            settings,
            channel="wecom",
            name="微信客服",
            config={"corp_id": CORP_ID, "open_kfid": OPEN_KFID, "api_base": api_peer.base},
            secrets={"token": TOKEN, "encoding_aes_key": AES_KEY, "secret": SECRET},
            actor=Actor.system(),
        )
        return account.id


@pytest.fixture
def kf_client(app: FastAPI, client: TestClient) -> Iterator[TestClient]:
    yield client
    app.state.worker.notifiers["channel"].adapters["wecom"].sender.close()
    app.state.worker.notifiers["channel"].adapters["wechat"].sender.close()
    api = getattr(app.state, "wecom_api", None)
    if api is not None:
        api.api.close()
