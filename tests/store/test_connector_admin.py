"""The store-connector admin screen's API: what is configured (secrets never shown) and a
health check that makes a real call to the shop, over real HTTP on loopback.

The HTTP connector talks to the reference shop server (a faithful implementation of
docs/connector-http.md, served by uvicorn); "the shop is down" is that server stopped.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.factories import StaffTeam, login_headers
from tests.store.http.fixtures import KEY_ID, SECRET
from tests.support.live import serve
from yiwen.core.clock import FixedClock
from yiwen.core.db import Database
from yiwen.core.settings import Settings
from yiwen.store.connectors.demo.connector import DemoStoreConnector
from yiwen.store.connectors.http.reference.server import create_app as reference_app
from yiwen.store.settings_view import mask_url

CONNECTOR = "/api/v1/admin/connector"


def test_the_demo_connector_is_described_with_every_capability(
    client: TestClient, team: StaffTeam
) -> None:
    answer = client.get(CONNECTOR, headers=login_headers(client, team.supervisor.username))
    assert answer.status_code == 200, answer.text
    view = answer.json()
    assert view["kind"] == "demo"
    assert view["base_url"].startswith("sqlite:///")
    assert "YIWEN_" in view["configured_in"]
    capabilities = {c["name"]: c for c in view["capabilities"]}
    assert capabilities["refund"] == {"name": "refund", "label": "退款", "supported": True}
    assert {s["env"] for s in view["settings"]} >= {"YIWEN_STORE_CONNECTOR", "YIWEN_DEMO_SHOP_URL"}


def test_the_health_check_reaches_the_demo_shop_and_times_it(
    client: TestClient, team: StaffTeam, demo: DemoStoreConnector
) -> None:
    order_no = demo.example_orders()["delivered_ok"].order_no
    answer = client.post(
        f"{CONNECTOR}/test",
        json={"order_no": order_no},
        headers=login_headers(client, team.admin.username),
    )
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert result["ok"] is True and result["error"] is None
    assert result["latency_ms"] >= 0
    assert [c["ok"] for c in result["checks"]] == [True, True]
    assert order_no in result["checks"][-1]["name"]


def test_an_unknown_order_in_the_check_is_reported_not_raised(
    client: TestClient, team: StaffTeam
) -> None:
    answer = client.post(
        f"{CONNECTOR}/test",
        json={"order_no": "NOPE0000000"},
        headers=login_headers(client, team.admin.username),
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["ok"] is False
    assert "NOPE0000000" in answer.json()["error"]


@pytest.mark.parametrize(("method", "path"), [("GET", CONNECTOR), ("POST", f"{CONNECTOR}/test")])
def test_an_agent_without_the_permission_is_refused(
    client: TestClient, team: StaffTeam, method: str, path: str
) -> None:
    answer = client.request(method, path, headers=login_headers(client, team.l2.username))
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "permission_denied"


@pytest.fixture
def http_shop(demo: DemoStoreConnector) -> Iterator[tuple[str, Any]]:
    """The reference shop on loopback; the test may stop it (``stop()``) to take the shop down."""
    server = serve(reference_app(demo, {KEY_ID: SECRET}))
    url = server.__enter__()
    stopped = False

    def stop() -> None:
        nonlocal stopped
        if not stopped:
            stopped = True
            server.__exit__(None, None, None)

    yield url, stop
    stop()


@pytest.fixture
def http_client(
    http_shop: tuple[str, Any], tmp_path: Path, database: Database, clock: FixedClock
) -> Iterator[TestClient]:
    from yiwen.web.app import create_app

    url, _ = http_shop
    settings = Settings(
        data_dir=tmp_path / "http-var",
        database_url=database.url,
        secret_key="test-secret-key-0123456789abcdef",
        store_connector="http",
        http_store_url=url,
        http_store_key_id=KEY_ID,
        http_store_secret=SECRET,
        http_store_timeout_seconds=2.0,
        http_store_retries=1,
        worker_embedded=False,
    )
    with TestClient(create_app(settings, clock=clock, database=database)) as client:
        yield client


def test_the_http_connector_shows_its_url_and_never_its_secret(
    http_client: TestClient, http_shop: tuple[str, Any], team: StaffTeam
) -> None:
    answer = http_client.get(CONNECTOR, headers=login_headers(http_client, team.admin.username))
    assert answer.status_code == 200, answer.text
    assert SECRET not in answer.text
    view = answer.json()
    assert view["kind"] == "http" and view["base_url"] == http_shop[0]
    settings = {s["env"]: s for s in view["settings"]}
    assert settings["YIWEN_HTTP_STORE_SECRET"] == {
        "env": "YIWEN_HTTP_STORE_SECRET",
        "value": None,
        "secret": True,
        "is_set": True,
    }
    assert settings["YIWEN_HTTP_STORE_KEY_ID"]["value"] == KEY_ID


def test_a_shop_that_is_down_gives_a_structured_failure_not_a_server_error(
    http_client: TestClient, http_shop: tuple[str, Any], team: StaffTeam
) -> None:
    headers = login_headers(http_client, team.admin.username)
    up = http_client.post(f"{CONNECTOR}/test", headers=headers)
    assert up.status_code == 200 and up.json()["ok"] is True, up.text
    assert "签名密钥被店铺接受" in [c["name"] for c in up.json()["checks"]]

    http_shop[1]()  # the shop goes down
    down = http_client.post(f"{CONNECTOR}/test", headers=headers)
    assert down.status_code == 200, down.text
    result = down.json()
    assert result["ok"] is False
    assert result["error"].startswith("店铺不可用")
    assert result["checks"] == []


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (
            "mysql+pymysql://reader:s3cret@db.example:3306/shop",
            "mysql+pymysql://reader:***@db.example:3306/shop",
        ),
        ("https://user:s3cret@shop.example/api", "https://user:******@shop.example/api"),
        ("https://shop.example/api", "https://shop.example/api"),
        ("", ""),
    ],
)
def test_passwords_in_connector_urls_are_masked(url: str, shown: str) -> None:
    assert mask_url(url) == shown
