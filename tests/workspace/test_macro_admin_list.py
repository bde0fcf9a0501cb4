"""The macro admin screen lists deactivated macros too, for those who manage macros only."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.workspace.conftest import Seats


def test_deactivated_macros_are_listed_for_managers_and_hidden_from_agents(
    client: TestClient, seat: Seats
) -> None:
    created = client.post(
        "/api/v1/macros", json={"title": "旧话术", "body": "您好"}, headers=seat("supervisor")
    )
    assert created.status_code == 201, created.text
    macro_id = created.json()["id"]
    off = client.patch(
        f"/api/v1/macros/{macro_id}", json={"is_active": False}, headers=seat("supervisor")
    )
    assert off.status_code == 200 and off.json()["is_active"] is False

    everything = client.get(
        "/api/v1/macros", params={"include_inactive": "true"}, headers=seat("supervisor")
    )
    assert everything.status_code == 200
    assert [(m["id"], m["is_active"]) for m in everything.json()] == [(macro_id, False)]
    assert client.get("/api/v1/macros", headers=seat("supervisor")).json() == []

    refused = client.get("/api/v1/macros", params={"include_inactive": "true"}, headers=seat("l2"))
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "permission_denied"
