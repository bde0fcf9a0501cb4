"""With separate workers, the app only takes messages in and Redis wakes the worker's
message pipeline (Debian's redis-server, a real pub/sub round trip).

The "worker" here is a second pipeline over the same database, as `yiwen worker`
starts one; its idle poll is set to a minute, so only the wake-up can make it run
within the test.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.support.redis import RedisServer
from yiwen.conversations import pipeline as pipeline_module
from yiwen.conversations.models import Message
from yiwen.conversations.pipeline import MessagePipeline
from yiwen.conversations.wakeups import RedisWakeups
from yiwen.core.clock import FixedClock
from yiwen.core.db import Database
from yiwen.core.settings import Settings


@pytest.fixture
def settings(settings: Settings, redis_server: RedisServer) -> Settings:
    return settings.model_copy(
        update={
            "message_reactions": "deferred",
            "worker_embedded": False,
            "redis_url": redis_server.url,
            "bot_enabled": False,
        }
    )


@pytest.fixture
def worker_pipeline(
    database: Database,
    clock: FixedClock,
    redis_server: RedisServer,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[MessagePipeline]:
    monkeypatch.setattr(pipeline_module, "IDLE_POLL_SECONDS", 60.0)
    pipeline = MessagePipeline(database, clock)
    wakeups = RedisWakeups(redis_server.url)
    pipeline.start()
    wakeups.listen(pipeline.wake)
    assert wakeups.listening.wait(10), "the worker never subscribed"
    yield pipeline
    wakeups.close()
    pipeline.stop()


def pending(database: Database) -> int:
    with database.reading() as db:
        query = select(func.count()).select_from(Message).where(Message.reactions_pending)
        return int(db.scalar(query) or 0)


def test_the_app_runs_no_pipeline_and_the_woken_worker_runs_the_reactions(
    app: FastAPI, database: Database, worker_pipeline: MessagePipeline
) -> None:
    with TestClient(app) as client:
        time.sleep(0.5)  # let the worker's first idle pass go by
        started = client.post("/api/v1/customer/conversations", json={}).json()
        url = f"/api/v1/customer/conversations/{started['conversation']['id']}/messages"
        auth = {"X-Conversation-Token": started["token"]}
        for n in range(5):
            response = client.post(
                url, json={"client_msg_id": f"m-{n}", "body": f"第{n}次：点券没到账"}, headers=auth
            )
            assert response.status_code == 201, response.text
        deadline = time.monotonic() + 20
        while pending(database) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert pending(database) == 0
        assert not app.state.pipeline.running  # the app process ran none of them
