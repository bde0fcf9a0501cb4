"""The HTTP connector against the reference server, over real HTTP on loopback.

The reference server is a faithful implementation of docs/connector-http.md
(ours, in src/yiwen/store/connectors/http/reference) serving the demo shop,
whose data is a SQLite file; it is started per test with uvicorn.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.support.live import serve
from yiwen.store.connectors.demo.connector import DemoStoreConnector
from yiwen.store.connectors.http.client import HttpStoreConnector
from yiwen.store.connectors.http.reference.server import create_app

KEY_ID = "yiwen-test"
SECRET = "reference-secret-0123456789"


@dataclass
class Reference:
    url: str
    connector: HttpStoreConnector
    shop: DemoStoreConnector
    examples: dict[str, Any]


@pytest.fixture
def http_reference(demo: DemoStoreConnector) -> Iterator[Reference]:
    with serve(create_app(demo, {KEY_ID: SECRET})) as url:
        connector = HttpStoreConnector(
            url, key_id=KEY_ID, secret=SECRET, timeout=5.0, retries=2,
            order_no_patterns=demo.order_no_patterns,
        )  # fmt: skip
        yield Reference(url, connector, demo, demo.example_orders())
        connector.close()
