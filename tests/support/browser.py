"""Browser end-to-end support: a live Yiwen server, Debian's Chromium driven by Playwright.

Nothing here downloads a browser: Playwright drives ``/usr/bin/chromium`` (the
Debian package, installed by ``.ci/run``). Pages record every console error and
uncaught page error so a test fails when the front end breaks, even silently.
"""

from __future__ import annotations

import fcntl
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, Playwright
from sqlalchemy import func, select

from tests.factories import STAFF_PASSWORD, StaffTeam, make_team
from tests.support.live import serve
from yiwen.auth import passwords
from yiwen.auth.models import StaffUser
from yiwen.conversations.models import Message
from yiwen.core.db import Database
from yiwen.core.settings import Settings
from yiwen.store.connectors.demo.connector import DemoStoreConnector

ROOT = Path(__file__).resolve().parents[2]
WEB_DIR = ROOT / "web"
DIST_DIR = WEB_DIR / "dist"
SCREENSHOT_DIR = ROOT / "test-artifacts" / "screenshots"
# What the browser logs while a test has taken the page offline (allowed console errors).
OFFLINE_NOISE = [r"ERR_INTERNET_DISCONNECTED", r"WebSocket connection to .* failed"]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
MISSING_CHROMIUM = (
    f"Chromium is not installed at {CHROMIUM}; the browser end-to-end tests need it. "
    "Install it with: apt-get install chromium   (.ci/run does this itself)"
)

# Where the console keeps what the login answered (CSRF token and user); see LiveServer.login.
CONSOLE_SESSION_KEY = "yiwen.console.session"

# How long a test waits for the bot's answer: it is computed inside the customer's request,
# which a loaded CI machine can slow to tens of seconds.
BOT_WAIT = 45_000

# Chromium's own request for /favicon.ico is not the page's doing.
ALWAYS_ALLOWED = [re.compile(r"/favicon\.ico\)$")]


def check_chromium() -> None:
    """Fail (never skip) when the browser is missing: CI must not pass without e2e tests."""
    if not CHROMIUM.exists():
        pytest.fail(MISSING_CHROMIUM, pytrace=False)


def launch_chromium(playwright: Playwright) -> Browser:
    """Headless Debian Chromium. Playwright gives each launch a fresh temporary profile."""
    check_chromium()
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )


class LiveClock:
    """Real time, but starting at the tests' fixed moment (the demo shop's 'now').

    The widget, the bot and the worker see time pass as in production; a test
    can still jump ahead (SLA deadlines, closing grace periods) with ``advance``.
    """

    def __init__(self, start: datetime) -> None:
        self._start = start.astimezone(UTC)
        self._origin = time.monotonic()
        self._offset = timedelta()

    def now(self) -> datetime:
        return self._start + timedelta(seconds=time.monotonic() - self._origin) + self._offset

    def advance(self, delta: timedelta) -> None:
        self._offset += delta


@dataclass
class LiveServer:
    """A Yiwen server on loopback with its own database, demo shop and staff team."""

    base_url: str
    database: Database
    settings: Settings
    clock: LiveClock
    team: StaffTeam
    demo: DemoStoreConnector
    password: str = STAFF_PASSWORD

    def url(self, path: str) -> str:
        return self.base_url + path

    def login(self, page: Page, member: StaffUser | str) -> dict[str, Any]:
        """Log ``page``'s browser context in as a staff member through the real login API.

        The session arrives as the HttpOnly cookie (shared by every page of the
        context); the login answer (``csrf_token``, ``user``, ``expires_at``, not
        the bearer token) is also put in the origin's sessionStorage under
        ``CONSOLE_SESSION_KEY`` for the console to pick up. Returns the answer.
        """
        username = member if isinstance(member, str) else member.username
        response = page.request.post(
            self.url("/api/v1/auth/login"),
            data={"username": username, "password": self.password},
        )
        assert response.ok, f"login as {username} failed: {response.status} {response.text()}"
        answer: dict[str, Any] = response.json()
        if page.url == "about:blank":
            page.goto(self.url("/healthz"))
        kept = {key: answer[key] for key in ("csrf_token", "user", "expires_at")}
        page.evaluate(
            "([key, value]) => sessionStorage.setItem(key, JSON.stringify(value))",
            [CONSOLE_SESSION_KEY, kept],
        )
        return answer

    def settle(self, conversation_id: str, *, answered: bool = True, timeout: float = 30) -> None:
        """Wait until the message pipeline has run the conversation's messages' reactions
        and, if ``answered``, someone other than the customer has written last (the
        bot's turn is over): a test that then changes the conversation by hand is not
        overwritten by work still under way."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.database.reading() as db:
                pending = db.scalar(
                    select(func.count())
                    .select_from(Message)
                    .where(Message.conversation_id == conversation_id, Message.reactions_pending)
                )
                last_sender = db.scalar(
                    select(Message.sender_type)
                    .where(Message.conversation_id == conversation_id)
                    .order_by(Message.id.desc())
                    .limit(1)
                )
            if not pending and (not answered or last_sender not in (None, "customer")):
                return
            time.sleep(0.1)
        raise AssertionError(f"conversation {conversation_id} did not settle in {timeout} s")


@contextmanager
def start_live_server(
    *,
    database_url: str,
    demo_template: Path,
    data_dir: Path,
    start: datetime,
    **overrides: Any,
) -> Iterator[LiveServer]:
    """Serve a fresh app (embedded worker and bot on) over a migrated database; stop on exit."""
    from yiwen.web.app import create_app

    data_dir.mkdir(parents=True, exist_ok=True)
    demo_path = data_dir / "demo_shop.db"
    shutil.copyfile(demo_template, demo_path)
    clock = LiveClock(start)
    values: dict[str, Any] = {
        "data_dir": data_dir / "var",
        "database_url": database_url,
        "secret_key": "e2e-secret-key-0123456789abcdef",
        "shop_token_secret": "e2e-shop-secret",
        "demo_shop_url": f"sqlite:///{demo_path}",
        "worker_embedded": True,
        "worker_poll_seconds": 0.2,
        "bot_enabled": True,
    }
    values.update(overrides)
    settings = Settings(**values)
    database = Database(database_url)
    database.context.update(clock=clock, settings=settings)
    demo = DemoStoreConnector.open(settings.resolved_demo_shop_url(), clock)
    with pytest.MonkeyPatch.context() as patch:
        # Production argon2 costs ~0.1 s a hash; the team needs eight.
        patch.setattr(passwords, "hasher", PasswordHasher(time_cost=1, memory_cost=64))
        team = make_team(database, clock)
    app = create_app(settings, clock=clock, database=database, store=demo)
    try:
        with serve(app) as base_url:
            yield LiveServer(base_url, database, settings, clock, team, demo)
    finally:
        demo.close()
        database.dispose()


@dataclass
class PageProblems:
    """Console errors and uncaught exceptions one page produced."""

    allow: list[re.Pattern[str]] = field(default_factory=list)
    ignore_all: bool = False
    errors: list[str] = field(default_factory=list)

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self._record(f"console error: {message.text} ({message.location.get('url', '')})")

    def on_page_error(self, error: Exception) -> None:
        self._record(f"page error: {error}")

    def _record(self, text: str) -> None:
        if not any(pattern.search(text) for pattern in [*ALWAYS_ALLOWED, *self.allow]):
            self.errors.append(text)

    def unexpected(self) -> list[str]:
        return [] if self.ignore_all else list(self.errors)


class PageFactory:
    """Makes fresh pages, each in its own browser context (own cookies and storage).

    ``page_factory(viewport=(360, 740))`` gives a phone-sized page. Console errors
    and page errors fail the test unless ``allow_errors=True`` or an ``allow``
    pattern (regular expressions) matches them.
    """

    def __init__(self, browser: Browser) -> None:
        self._browser = browser
        self._contexts: list[BrowserContext] = []
        self._problems: dict[int, PageProblems] = {}

    def __call__(
        self,
        viewport: tuple[int, int] = (1440, 900),
        *,
        allow_errors: bool = False,
        allow: list[str] | None = None,
        locale: str = "zh-CN",
        mobile: bool | None = None,
    ) -> Page:
        width, height = viewport
        is_mobile = width < 768 if mobile is None else mobile
        context = self._browser.new_context(
            viewport={"width": width, "height": height},
            locale=locale,
            timezone_id="Asia/Shanghai",
            is_mobile=is_mobile,
            has_touch=is_mobile,
            device_scale_factor=1,
        )
        context.set_default_timeout(10_000)
        self._contexts.append(context)
        page = context.new_page()
        problems = PageProblems(
            allow=[re.compile(p) for p in (allow or [])], ignore_all=allow_errors
        )
        page.on("console", problems.on_console)
        page.on("pageerror", problems.on_page_error)
        self._problems[id(page)] = problems
        return page

    def problems(self, page: Page) -> PageProblems:
        return self._problems[id(page)]

    def unexpected_errors(self) -> list[str]:
        return [error for p in self._problems.values() for error in p.unexpected()]

    def close(self) -> None:
        for context in self._contexts:
            context.close()
        self._contexts.clear()


def screenshot(page: Page, name: str, *, full_page: bool = False) -> Path:
    """Save ``test-artifacts/screenshots/<name>.png`` (kept after the run for people to look at)."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOT_DIR / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def ensure_web_build() -> None:
    """Run ``make web`` (a no-op when web/dist is up to date); fail clearly if it cannot."""
    lock_path = Path(tempfile.gettempdir()) / "yiwen-web-build.lock"
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        result = subprocess.run(
            ["make", "--no-print-directory", "web"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
    if result.returncode != 0 or not (DIST_DIR / "widget.js").exists():
        tail = "\n".join((result.stdout + result.stderr).splitlines()[-40:])
        pytest.fail(
            "`make web` could not build the front end (web/dist), which the browser tests "
            f"need (exit {result.returncode}; it needs nodejs and npm):\n{tail}",
            pytrace=False,
        )
