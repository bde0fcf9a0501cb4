"""The route gates (yiwen.http.route_index) skip routers that cannot match a path, and
never one that can."""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.routing import Match

from yiwen.http.route_index import gate_prefixes, literal_prefix, route_paths


def _sample(template: str) -> str:
    """A concrete path for a template: ``{x:path}`` → two segments, ``{x}`` → one."""
    return re.sub(r"\{[^}]*\}", lambda m: "a1/b2" if ":path" in m.group(0) else "a1", template)


def _scope(method: str, path: str) -> dict[str, object]:
    return {
        "type": "http",
        "method": method,
        "path": path,
        "root_path": "",
        "headers": [],
        "query_string": b"",
    }


def test_literal_prefix_stops_at_the_first_parameter() -> None:
    assert literal_prefix("/api/v1/tickets/{ticket_id}/replies") == "/api/v1/tickets/"
    assert literal_prefix("/api/v1/kpis.csv") == "/api/v1/kpis.csv"
    assert literal_prefix("/{path:path}") == "/"


def test_the_app_gates_nearly_every_router(client: TestClient) -> None:
    """If a FastAPI upgrade hid the routers' paths, the gates would silently go: requests
    would still be answered, only slower. This notices it."""
    app: FastAPI = client.app  # type: ignore[assignment]
    routes = app.router.routes
    gated = [route for route in routes if hasattr(route.matches, "__wrapped__")]
    assert len(gated) >= 40
    # The front end's catch-all starts with a parameter: it must stay ungated.
    assert any(gate_prefixes(route) is None for route in routes)


def test_a_gate_never_refuses_a_path_its_route_matches(client: TestClient) -> None:
    app: FastAPI = client.app  # type: ignore[assignment]
    routes = app.router.routes
    templates = [path for route in routes for path in route_paths(route) or []]
    assert len(templates) > 150
    refused_elsewhere = 0
    for template in templates:
        for method in ("GET", "POST"):
            scope = _scope(method, _sample(template))
            for route in routes:
                original = getattr(route.matches, "__wrapped__", None)
                if original is None:
                    continue
                gated_match, _ = route.matches(dict(scope))
                original_match, _ = original(dict(scope))
                if original_match != Match.NONE:
                    assert gated_match == original_match, (template, method)
                elif gated_match == Match.NONE:
                    refused_elsewhere += 1
    # And the gates do their job: most routers are skipped for most paths.
    assert refused_elsewhere > len(templates) * 2 * 30


def test_requests_reach_their_routes_through_the_gates(client: TestClient) -> None:
    assert client.get("/healthz").json()["status"] == "ok"
    unknown = client.get("/api/v1/no-such-thing")
    assert unknown.status_code == 404
    # An API path with a wrong method is still told so (405), not 404.
    assert client.delete("/api/v1/auth/login").status_code == 405
