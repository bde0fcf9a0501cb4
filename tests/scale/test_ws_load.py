"""A small WebSocket load on the multi-process deployment loses and repeats nothing.

Two `yiwen serve` processes with the bot on, a `yiwen worker`, Redis and nginx
(tests/support/deployment.py); 120 widget customers and 4 console agents in one
load-generator process (tests/support/ws_load.py). Every customer asks the bot,
a fifth ask for a human and talk to the agent who takes them. Afterwards the
database is compared with what each socket received. The 5,000-socket run with
latencies is bench/bench_ws_load.py; this one asserts no timings.

Runs in the PostgreSQL pass (YIWEN_TEST_DB=postgresql), like test_multi_process.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.support.deployment import Deployment
from tests.support.redis import RedisServer
from tests.support.ws_load import DeliveryReport, LoadPlan, check_delivery, run_load

pytestmark = pytest.mark.skipif(
    os.environ.get("YIWEN_TEST_DB") != "postgresql",
    reason="several app processes need PostgreSQL: runs in the PostgreSQL pass",
)

PLAN = LoadPlan(
    customers=120,
    agents=4,
    generators=1,
    message_rate=30.0,
    bot_questions=1,
    handoff_share=0.2,
    agent_turns=1,
    connect_rate=200.0,
    reply_timeout=30.0,
    deadline=120.0,
)


@dataclass
class LoadRun:
    run: dict[str, Any]
    report: DeliveryReport


@pytest.fixture(scope="module")
def load_run(  # type: ignore[no-untyped-def]
    database_factory, tmp_path_factory: pytest.TempPathFactory, redis_server: RedisServer
) -> Iterator[LoadRun]:
    """One load over the whole deployment, shared by the checks below."""
    server = database_factory.server
    assert server is not None
    server.create_database("load_yiwen")
    tmp = tmp_path_factory.mktemp("ws-load")
    deployment = Deployment(tmp, server.url("load_yiwen"), redis_server.url, bot_enabled=True)
    try:
        deployment.migrate()
        deployment.start_apps(2)
        deployment.start_worker()
        if deployment.start_nginx() is None:
            pytest.skip("nginx is not installed")
        run = run_load(deployment, PLAN, tmp / "load")
        yield LoadRun(run, check_delivery(deployment.env["YIWEN_DATABASE_URL"], run))
    finally:
        deployment.stop()
        server.drop_database("load_yiwen")


def test_every_customer_and_agent_is_answered_without_errors(load_run: LoadRun) -> None:
    (result,) = load_run.run["generators"]
    assert result["errors"] == {}
    assert load_run.report.customer_sockets == PLAN.customers
    assert load_run.report.agent_sockets == PLAN.agents
    assert load_run.report.handoffs > 0
    assert load_run.report.handoffs_answered == load_run.report.handoffs


def test_every_acknowledged_message_is_stored_exactly_once(load_run: LoadRun) -> None:
    report = load_run.report
    # Each customer's question, plus the request for a human and one follow-up for a
    # fifth of them, plus the agents' greetings and answers.
    assert report.acknowledged >= PLAN.customers + 4 * report.handoffs
    assert (report.not_stored, report.stored_twice) == (0, 0), report.problems[:5]
    assert report.stored_once == report.acknowledged


def test_every_socket_receives_each_of_its_messages_once(load_run: LoadRun) -> None:
    report = load_run.report
    assert (report.lost, report.duplicated) == (0, 0), report.problems[:5]
    assert report.stored_after_close == 0


def test_every_socket_receives_its_conversations_messages_in_stored_order(
    load_run: LoadRun,
) -> None:
    """The widget catches up with ``?after=<last id>``: a later id arriving first could
    make it skip the earlier one after a reconnect. Writers of one conversation commit
    in id order and hubs deliver in that order (yiwen.conversations.ordering)."""
    assert load_run.report.out_of_order == 0, load_run.report.problems[:5]
