"""The only place that names concrete store connectors; configuration picks one."""

from __future__ import annotations

from collections.abc import Callable

from yiwen.core.clock import Clock
from yiwen.core.settings import Settings
from yiwen.store.protocol import StoreConnector

ConnectorFactory = Callable[[Settings, Clock], StoreConnector]


def _demo(settings: Settings, clock: Clock) -> StoreConnector:
    from yiwen.store.connectors.demo.connector import DemoStoreConnector

    return DemoStoreConnector.from_settings(settings, clock)


def _dujiaoka(settings: Settings, clock: Clock) -> StoreConnector:
    from yiwen.store.connectors.dujiaoka.connector import DujiaokaConnector

    return DujiaokaConnector.from_settings(settings, clock)


def _http(settings: Settings, clock: Clock) -> StoreConnector:
    from yiwen.store.connectors.http.client import HttpStoreConnector

    return HttpStoreConnector.from_settings(settings)


FACTORIES: dict[str, ConnectorFactory] = {"demo": _demo, "dujiaoka": _dujiaoka, "http": _http}


def build_store(settings: Settings, clock: Clock) -> StoreConnector:
    try:
        factory = FACTORIES[settings.store_connector]
    except KeyError:
        known = ", ".join(sorted(FACTORIES))
        raise ValueError(
            f"unknown store connector {settings.store_connector!r} (known: {known})"
        ) from None
    return factory(settings, clock)
