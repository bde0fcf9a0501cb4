"""The production layout of docs/operations.md, step by step, on loopback.

PostgreSQL (the test suite's server, Debian's package) and Redis (Debian's
redis-server) serve two `yiwen serve` processes and one `yiwen worker`, started
with the shipped systemd units' commands and environment file keys, behind nginx
rendered from deploy/nginx.conf. A customer connected to one process and an agent
connected to the other see each other's messages live; the backup (pg_dump) is
restored into a fresh database and upgraded with `yiwen migrate`.

Runs in the PostgreSQL pass of `make test` (YIWEN_TEST_DB=postgresql): several
app processes need PostgreSQL, which the SQLite pass does not start.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import websockets

from tests.support.deployment import ROOT, YIWEN, Deployment
from tests.support.postgres import find_bindir
from tests.support.redis import RedisServer

PASSWORD = "Ops-passw0rd!"

pytestmark = pytest.mark.skipif(
    os.environ.get("YIWEN_TEST_DB") != "postgresql",
    reason="several app processes need PostgreSQL: runs in the PostgreSQL pass",
)


def env_file_keys() -> set[str]:
    text = (ROOT / "deploy" / "yiwen.env.example").read_text()
    return {
        line.split("=", 1)[0] for line in text.splitlines() if line and not line.startswith("#")
    }


@pytest.fixture
def deployment(database_factory, tmp_path: Path, redis_server: RedisServer) -> Iterator[Deployment]:  # type: ignore[no-untyped-def]
    server = database_factory.server
    assert server is not None
    server.create_database("ops_yiwen")
    deployed = Deployment(tmp_path, server.url("ops_yiwen"), redis_server.url)
    try:
        yield deployed
    finally:
        deployed.stop()
        server.drop_database("ops_yiwen")
        server.drop_database("ops_restored")


async def live_exchange(a: str, b: str, front: str | None) -> dict[str, object]:
    """Customer on process A, agent on process B: each sees the other's message live."""
    ws = lambda base: base.replace("http://", "ws://")  # noqa: E731
    async with httpx.AsyncClient(timeout=20) as http:
        started = (await http.post(f"{a}/api/v1/customer/conversations", json={})).json()
        conversation_id, token = started["conversation"]["id"], started["token"]
        login = await http.post(
            f"{b}/api/v1/auth/login", json={"username": "ops", "password": PASSWORD}
        )
        assert login.status_code == 200, login.text
        staff_token = login.json()["token"]
        customer_url = f"{ws(a)}/api/v1/customer/conversations/{conversation_id}/ws?token={token}"
        async with (
            websockets.connect(customer_url) as customer,
            websockets.connect(f"{ws(b)}/api/v1/staff/ws?token={staff_token}") as staff,
        ):
            assert json.loads(await customer.recv())["type"] == "ready"
            assert json.loads(await staff.recv())["type"] == "ready"
            sent = await http.post(
                f"{a}/api/v1/customer/conversations/{conversation_id}/messages",
                json={"client_msg_id": "ops-1", "body": "充值还没到账"},
                headers={"X-Conversation-Token": token},
            )
            assert sent.status_code == 201, sent.text

            async def next_message(socket, sender: str) -> dict[str, object]:  # type: ignore[no-untyped-def]
                while True:
                    event = json.loads(await asyncio.wait_for(socket.recv(), 15))
                    message = event.get("message")
                    if event["type"] == "message.created" and message["sender_type"] == sender:
                        return message  # type: ignore[no-any-return]

            seen_by_agent = await next_message(staff, "customer")
            reply = await http.post(
                f"{b}/api/v1/conversations/{conversation_id}/messages",
                json={"body": "您好，已为您查询"},
                headers={"Authorization": f"Bearer {staff_token}"},
            )
            assert reply.status_code == 201, reply.text
            seen_by_customer = await next_message(customer, "agent")
        through_proxy = None
        if front is not None:
            # The same conversation read back through nginx (either process may answer).
            listed = await http.get(
                f"{front}/api/v1/customer/conversations/{conversation_id}/messages",
                headers={"X-Conversation-Token": token},
            )
            assert listed.status_code == 200, listed.text
            through_proxy = [m["body"] for m in listed.json()["items"]]
    return {
        "conversation_id": conversation_id,
        "agent_saw": seen_by_agent["body"],
        "customer_saw": seen_by_customer["body"],
        "through_proxy": through_proxy,
    }


async def websocket_through_proxy(front: str) -> str:
    async with httpx.AsyncClient(timeout=20) as http:
        started = (await http.post(f"{front}/api/v1/customer/conversations", json={})).json()
    url = (
        f"{front.replace('http://', 'ws://')}/api/v1/customer/conversations/"
        f"{started['conversation']['id']}/ws?token={started['token']}"
    )
    async with websockets.connect(url) as socket:
        return str(json.loads(await socket.recv())["type"])


def test_the_documented_layout_runs_two_app_processes_a_worker_and_nginx(
    deployment: Deployment, tmp_path: Path
) -> None:
    # Every key the app reads in the example environment file is one the settings know.
    from yiwen.core.settings import Settings

    known = {f"YIWEN_{name.upper()}" for name in Settings.model_fields}
    assert env_file_keys() <= known, env_file_keys() - known

    # 1. Migrate once (yiwen-migrate.service), then create the first supervisor.
    deployment.migrate()
    deployment.create_staff("ops", PASSWORD, "supervisor")

    # 2. Two app processes (yiwen-app@PORT) and a worker (yiwen-worker.service).
    a, b = deployment.start_apps(2)
    worker = deployment.start_worker()

    # 3. nginx in front (deploy/nginx.conf), when nginx is installed.
    front = deployment.start_nginx()

    result = asyncio.run(live_exchange(a, b, front))
    assert result["agent_saw"] == "充值还没到账"
    assert result["customer_saw"] == "您好，已为您查询"
    if front is not None:
        assert result["through_proxy"] == ["充值还没到账", "您好，已为您查询"]
        assert asyncio.run(websocket_through_proxy(front)) == "ready"
    assert worker.poll() is None, (tmp_path / "worker.log").read_text()

    # 4. Backup and restore: pg_dump of the live database, restored and upgraded.
    bindir = find_bindir()
    assert bindir is not None
    url = deployment.env["YIWEN_DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://")
    dump = tmp_path / "yiwen.dump"
    dumped = subprocess.run(
        [str(bindir / "pg_dump"), "--format=custom", f"--file={dump}", url],
        capture_output=True, text=True,
    )  # fmt: skip
    assert dumped.returncode == 0, dumped.stderr
    restored_url = url.rsplit("/", 1)[0] + "/ops_restored"
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    subprocess.run(
        [str(bindir / "psql"), admin_url, "-c", "CREATE DATABASE ops_restored"],
        check=True, capture_output=True,
    )  # fmt: skip
    loaded = subprocess.run(
        [str(bindir / "pg_restore"), "--no-owner", f"--dbname={restored_url}", str(dump)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert loaded.returncode == 0, loaded.stderr
    upgraded = subprocess.run(
        [*YIWEN, "migrate"],
        env={**deployment.env, "YIWEN_DATABASE_URL": restored_url.replace("postgresql://", "postgresql+psycopg://")},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert upgraded.returncode == 0, upgraded.stderr
    query = (
        "SELECT body FROM messages "
        f"WHERE conversation_id = '{result['conversation_id']}' ORDER BY id"
    )
    counted = subprocess.run(
        [str(bindir / "psql"), restored_url, "-At", "-c", query],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert counted.stdout.split() == ["充值还没到账", "您好，已为您查询"]


def test_several_processes_are_refused_without_postgresql_and_redis(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "YIWEN_DATA_DIR": str(tmp_path),
        "YIWEN_DATABASE_URL": f"sqlite:///{tmp_path / 'y.db'}",
        "YIWEN_REDIS_URL": "",
    }
    refused = subprocess.run(
        [*YIWEN, "serve", "--no-demo", "--workers", "2"],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert refused.returncode == 2
    assert "PostgreSQL" in refused.stderr
