"""Fixtures for browser tests: one live server per module, Chromium once per session.

- ``live_server``: a real uvicorn on a free loopback port serving the whole app
  (embedded worker and bot on) over a fresh migrated database and demo shop;
  ``.base_url``, ``.url(path)``, ``.database``, ``.settings``, ``.clock``,
  ``.team`` (``tests.factories.StaffTeam``: ``l1`` is the restricted agent,
  ``l2``, ``supervisor``, ``admin``…, password ``.password``), ``.demo`` (the shop)
  and ``.login(page, team.l2)``. Shared by a module's tests: each test starts
  its own conversations, and each page has its own browser context. A module
  changes its server's settings by overriding ``live_server_options``.
- ``page_factory(viewport=(360, 740))``: a fresh page; console errors and page
  errors fail the test (``allow_errors=True`` or ``allow=[regex]`` to opt out).
- ``screenshot(page, name)`` (import from ``tests.support.browser``) saves
  ``test-artifacts/screenshots/<name>.png``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, sync_playwright

from tests.conftest import NOW, DatabaseFactory
from tests.support.browser import (
    LiveServer,
    PageFactory,
    check_chromium,
    ensure_web_build,
    launch_chromium,
    start_live_server,
)


@pytest.fixture(scope="session")
def web_build() -> None:
    """The built front end (web/dist): ``make web`` once a session (a no-op when up to date)."""
    ensure_web_build()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Chromium for one module: Playwright's sync API keeps an event loop running on the
    main thread while it is up, which other tests' ``asyncio.run`` must not meet."""
    check_chromium()
    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def live_server_options() -> dict[str, Any]:
    """Settings for this module's live server; override in a test module to change them."""
    return {}


@pytest.fixture(scope="module")
def live_server(
    live_server_options: dict[str, Any],
    web_build: None,
    database_factory: DatabaseFactory,
    demo_template: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[LiveServer]:
    url = database_factory.new_url()
    try:
        with start_live_server(
            database_url=url,
            demo_template=demo_template,
            data_dir=tmp_path_factory.mktemp("live"),
            start=NOW,
            **live_server_options,
        ) as server:
            yield server
    finally:
        database_factory.discard(url)


@pytest.fixture
def page_factory(browser: Browser) -> Iterator[PageFactory]:
    factory = PageFactory(browser)
    yield factory
    factory.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """Turn console errors and uncaught page errors into a failure of the test itself."""
    result = yield
    factory = getattr(item, "funcargs", {}).get("page_factory")
    if isinstance(factory, PageFactory):
        errors = factory.unexpected_errors()
        if errors:
            raise AssertionError("the page reported errors:\n" + "\n".join(errors))
    return result
