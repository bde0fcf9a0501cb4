"""Serving the built front end: SPA fallbacks, cache headers, the widget, and no build at all."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from yiwen.web.static import install_static


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    root = tmp_path / "dist"
    (root / "assets").mkdir(parents=True)
    (root / "console.html").write_text("<html>console shell</html>")
    (root / "portal.html").write_text("<html>portal shell</html>")
    (root / "widget.js").write_text("/* widget */")
    (root / "assets" / "console-abc123.js").write_text("console.log(1)")
    (tmp_path / "secret.txt").write_text("not for the web")
    return root


def _client(dist: Path) -> TestClient:
    app = FastAPI()
    install_static(app, dist)
    return TestClient(app)


@pytest.mark.parametrize(
    ("path", "shell"),
    [
        ("/console", "console shell"),
        ("/console/", "console shell"),
        ("/console/c/123", "console shell"),
        ("/portal", "portal shell"),
        ("/portal/track", "portal shell"),
    ],
)
def test_every_page_of_an_app_gets_its_shell_revalidated_each_time(
    dist: Path, path: str, shell: str
) -> None:
    response = _client(dist).get(path)
    assert response.status_code == 200
    assert response.text == f"<html>{shell}</html>"
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-cache"


def test_hashed_assets_are_cached_for_a_year_and_the_widget_is_revalidated(dist: Path) -> None:
    client = _client(dist)
    asset = client.get("/assets/console-abc123.js")
    assert asset.status_code == 200
    assert "immutable" in asset.headers["cache-control"]
    widget = client.get("/widget.js")
    assert widget.status_code == 200
    assert widget.headers["content-type"].startswith("text/javascript")
    assert widget.headers["cache-control"] == "no-cache"


@pytest.mark.parametrize(
    "path", ["/assets/../secret.txt", "/assets/%2e%2e/secret.txt", "/assets/nope.js"]
)
def test_nothing_outside_the_assets_is_served(dist: Path, path: str) -> None:
    response = _client(dist).get(path)
    assert response.status_code == 404
    assert "not for the web" not in response.text


def test_the_root_sends_customers_to_the_portal(dist: Path) -> None:
    response = _client(dist).get("/", follow_redirects=False)
    assert response.status_code == 302
    assert response.headers["location"] == "/portal/"


def test_without_a_build_the_pages_say_how_to_build_instead_of_failing(tmp_path: Path) -> None:
    client = _client(tmp_path / "missing")
    page = client.get("/console/")
    assert page.status_code == 503
    assert "make web" in page.text
    assert client.get("/widget.js").status_code == 503
    assert client.get("/assets/x.js").status_code == 404
