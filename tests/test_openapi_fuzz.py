"""Schemathesis drives every operation of /openapi.json with generated input: no 500, ever.

Requests carry a real staff session (admin, so permission checks pass and the
handlers run) and a real conversation token, so generated input reaches the code
behind authentication. Every 4xx must be the documented JSON error body.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings

from tests.conftest import NOW, DatabaseFactory
from tests.factories import login_headers, make_staff
from yiwen.core.clock import FixedClock
from yiwen.core.db import Database
from yiwen.core.settings import Settings
from yiwen.store.connectors.demo.connector import DemoStoreConnector
from yiwen.web.app import create_app

EXAMPLES_PER_OPERATION = 40
# Logging out would end the session every later request relies on.
UNAUTHENTICATED = {"/api/v1/auth/logout"}


class FuzzTarget:
    def __init__(self, factory: DatabaseFactory, tmp: Path, demo_template: Path) -> None:
        self.url = factory.new_url()
        self.factory = factory
        self.database = Database(self.url)
        clock = FixedClock(NOW)
        shop_path = tmp / "demo_shop.db"
        shutil.copyfile(demo_template, shop_path)
        self.demo = DemoStoreConnector.open(f"sqlite:///{shop_path}", clock)
        app_settings = Settings(
            data_dir=tmp / "var",
            database_url=self.url,
            secret_key="fuzz-secret-key-0123456789abcdef",
            shop_token_secret="fuzz-shop-secret",
            demo_shop_url=f"sqlite:///{shop_path}",
        )
        self.app = create_app(app_settings, clock=clock, database=self.database, store=self.demo)
        make_staff(self.database, clock, "admin", username="fuzz-admin")
        with TestClient(self.app) as client:
            staff = login_headers(client, "fuzz-admin")
            started = client.post("/api/v1/customer/conversations", json={}).json()
        self.headers = staff | {"X-Conversation-Token": started["token"]}

    def close(self) -> None:
        self.demo.close()
        self.database.dispose()
        self.factory.discard(self.url)


@pytest.fixture(scope="module")
def fuzz_target(
    database_factory: DatabaseFactory,
    tmp_path_factory: pytest.TempPathFactory,
    demo_template: Path,
) -> Iterator[FuzzTarget]:
    target = FuzzTarget(database_factory, tmp_path_factory.mktemp("fuzz"), demo_template)
    yield target
    target.close()


@pytest.fixture(scope="module")
def api_schema(fuzz_target: FuzzTarget) -> Any:
    return schemathesis.openapi.from_asgi("/openapi.json", fuzz_target.app)


def _operation_labels() -> list[str]:
    """Every operation of the spec, read from an app that is built but never started."""
    document = create_app(Settings(database_url="sqlite://")).openapi()
    methods = ("get", "put", "post", "delete", "patch")
    return [
        f"{method.upper()} {path}"
        for path, operations in document["paths"].items()
        for method in operations
        if method in methods
    ]


# (schemathesis' own pytest plugin does not run on pytest 9.2, so the loop is ours.)
@pytest.mark.parametrize("label", _operation_labels())
def test_no_input_makes_the_server_fail(
    label: str, api_schema: Any, fuzz_target: FuzzTarget
) -> None:
    operation = api_schema.find_operation_by_label(label)
    path = label.split(" ", 1)[1]
    headers = {} if path in UNAUTHENTICATED else fuzz_target.headers

    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def call(case: Any) -> None:
        response = case.call(headers=headers)
        assert response.status_code < 500, (case.as_curl_command(), response.text[:500])
        if 400 <= response.status_code < 500:
            error = response.json()["error"]
            assert error["code"] and error["message"], response.text

    call()
