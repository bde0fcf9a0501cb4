"""The HTTP connector built from settings, as `yiwen serve` builds it, finds orders."""

from __future__ import annotations

import re

import pytest

from tests.store.http.fixtures import KEY_ID, SECRET, Reference
from yiwen.core.clock import FixedClock
from yiwen.core.settings import Settings
from yiwen.store.registry import build_store


def test_the_registry_builds_a_working_http_connector(
    http_reference: Reference, clock: FixedClock, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(
        data_dir=tmp_path,
        store_connector="http",
        http_store_url=http_reference.url,
        http_store_key_id=KEY_ID,
        http_store_secret=SECRET,
    )
    store = build_store(settings, clock)
    case = http_reference.examples["delivered_ok"]
    assert store.get_order(case.order_no).order_no == case.order_no
    assert any(re.fullmatch(p, case.order_no) for p in store.order_no_patterns)
    assert not any(re.fullmatch(p, "13812345678") for p in store.order_no_patterns)


def test_an_incomplete_http_configuration_is_refused_at_start(clock: FixedClock, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(data_dir=tmp_path, store_connector="http", http_store_url="https://x")
    with pytest.raises(ValueError, match="_SECRET"):
        build_store(settings, clock)
