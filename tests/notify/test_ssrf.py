"""Webhooks never reach inside the network unless the operator allows it."""

from __future__ import annotations

import ipaddress

import pytest

from tests.notify.conftest import add_webhook, make_worker, outbox_rows
from tests.notify.peers import HttpPeer
from yiwen.core.clock import FixedClock
from yiwen.core.db import Database
from yiwen.core.errors import InvalidInput
from yiwen.core.events import emit
from yiwen.core.settings import Settings
from yiwen.notify.ssrf import is_internal, resolve_url


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.9",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata
        "224.0.0.1",
        "0.0.0.0",
        "::1",
        "fe80::1",
        "fc00::1",
        "::ffff:127.0.0.1",
        "100.64.0.1",
    ],
)
def test_internal_addresses_are_recognised(address: str) -> None:
    assert is_internal(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["8.8.8.8", "114.114.114.114", "2400:3200::1"])
def test_public_addresses_are_not_internal(address: str) -> None:
    assert not is_internal(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",
        "http://localhost/hook",  # a name is judged by what it resolves to
        "http://[::1]/hook",
        "http://2130706433/hook",  # 127.0.0.1 written as one number
        "http://169.254.169.254/latest/meta-data/",
    ],
)
def test_loopback_and_private_urls_are_refused_by_default(url: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        resolve_url(url, allow_private=False)
    assert refused.value.code == "webhook_url_private"


@pytest.mark.parametrize(
    "url", ["ftp://example.com/x", "http://user:pw@example.com/", "file:///etc/passwd", "http:///x"]
)
def test_malformed_or_non_http_urls_are_refused(url: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        resolve_url(url, allow_private=True)
    assert refused.value.code == "webhook_url_invalid"


def test_a_loopback_endpoint_is_refused_again_at_send_time(
    database: Database, clock: FixedClock, settings: Settings, webhook_peer: HttpPeer
) -> None:
    """Saved while allowed (or before a DNS change), it still never receives a byte."""
    add_webhook(database, clock, webhook_peer.url, secret=webhook_peer.secret, events=[])
    with database.transaction() as db:
        emit(db, "ticket.reopened", ticket_id="t1")
    make_worker(database, settings, clock, webhook_allow_private=False).run_until_idle()
    assert webhook_peer.received == []
    [entry] = outbox_rows(database)
    assert entry.status == "dead"
    assert entry.last_error == "webhook URL refused: webhook_url_private"
