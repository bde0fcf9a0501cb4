"""The server's time travels with every API answer, so the console counts deadlines from
the server's clock rather than from the agent's PC."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from yiwen.core.clock import FixedClock


def _server_millis(client: TestClient, path: str) -> int:
    return int(client.get(path).headers["x-server-time"])


def test_api_answers_carry_the_app_clock_not_the_machine_clock(
    client: TestClient, clock: FixedClock
) -> None:
    assert _server_millis(client, "/api/v1/auth/me") == round(clock.now().timestamp() * 1000)
    clock.advance(timedelta(hours=49))
    # The error answer (401) carries it too: the console may not be logged in yet.
    assert _server_millis(client, "/api/v1/auth/me") == round(clock.now().timestamp() * 1000)


def test_pages_outside_the_api_do_not_carry_it(client: TestClient) -> None:
    assert "x-server-time" not in client.get("/healthz").headers
