"""docs/connector-http.openapi.yaml and the reference server describe the same contract."""

from __future__ import annotations

from pathlib import Path

import yaml
from fastapi.routing import APIRoute

from yiwen.store.connectors.http.reference.server import create_app

SPEC = Path(__file__).resolve().parents[3] / "docs" / "connector-http.openapi.yaml"


def test_every_documented_endpoint_is_served_by_the_reference_server_and_back(demo) -> None:  # type: ignore[no-untyped-def]
    spec = yaml.safe_load(SPEC.read_text())
    documented = {(method.upper(), path) for path, item in spec["paths"].items() for method in item}
    app = create_app(demo, {"k": "s"})
    served = {
        (method, route.path)
        for route in app.routes
        if isinstance(route, APIRoute) and not route.path.startswith(("/docs", "/openapi"))
        for method in route.methods
    }
    assert documented == served
    lookups = ("/reveal", "/card-keys/check")
    actions = [p for (m, p) in documented if m == "POST" and not p.endswith(lookups)]
    for path in actions:
        parameters = spec["paths"][path]["post"]["parameters"]
        assert {"$ref": "#/components/parameters/IdempotencyKey"} in parameters, path
