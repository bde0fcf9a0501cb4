"""HTML and script in messages stay text, and every page carries the Content-Security-Policy.

A customer writes markup into the widget; it must show literally to the
customer and to the agent in the console, create no element and run nothing.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Dialog, Page, expect

from tests.support.browser import BOT_WAIT, LiveServer, PageFactory, screenshot

IMG_PAYLOAD = "<img src=x onerror=alert(1)>"
SCRIPT_PAYLOAD = "<script>alert(1)</script>"
HOSTILE = f"我的订单 {IMG_PAYLOAD} 和 {SCRIPT_PAYLOAD} 怎么还没到"
# Pages the app serves as HTML, including the SPAs' client-side routes.
HTML_PAGES = ["/widget-demo", "/console", "/console/inbox", "/portal", "/portal/tickets"]


def watch_dialogs(page: Page) -> list[str]:
    opened: list[str] = []

    def record(dialog: Dialog) -> None:
        opened.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", record)
    return opened


def has_injected_elements(page: Page) -> bool:
    """Whether any <img src=x> or script with the payload exists, in the page or the widget."""
    found: bool = page.evaluate(
        """() => {
            const roots = [document]
            const host = document.querySelector('#yiwen-widget')
            if (host && host.shadowRoot) roots.push(host.shadowRoot)
            return roots.some(root =>
                root.querySelector('img[src="x"]') !== null ||
                [...root.querySelectorAll('script')].some(s => s.textContent.includes('alert(1)')))
        }"""
    )
    return found


def test_markup_a_customer_sends_shows_as_text_in_the_widget_and_runs_nothing(
    live_server: LiveServer, page_factory: PageFactory
) -> None:
    page = page_factory(viewport=(360, 740))
    dialogs = watch_dialogs(page)
    page.goto(live_server.url("/widget-demo"))
    page.locator("button.launcher").click()
    box = page.locator(".composer textarea")
    box.fill(HOSTILE)
    box.press("Enter")
    mine = page.locator(".msg.mine[data-id] .bubble")
    expect(mine).to_have_text(HOSTILE, timeout=BOT_WAIT)
    # The bot's reply arrives live too (and may quote the text); give any handler time to fire.
    expect(page.locator(".msg.theirs").nth(1)).to_be_visible(timeout=BOT_WAIT)
    page.wait_for_timeout(500)
    assert dialogs == []
    assert not has_injected_elements(page)
    screenshot(page, "safety-widget-360")

    page.reload()  # the same text, now loaded from the server's history
    expect(page.locator(".msg.mine[data-id] .bubble")).to_have_text(HOSTILE)
    page.wait_for_timeout(300)
    assert dialogs == [] and not has_injected_elements(page)


def test_markup_in_a_message_shows_as_text_to_the_agent_in_the_console(
    live_server: LiveServer, page_factory: PageFactory
) -> None:
    import httpx

    started = httpx.post(live_server.url("/api/v1/customer/conversations"), json={})
    assert started.status_code == 201, started.text
    conversation_id = started.json()["conversation"]["id"]
    sent = httpx.post(
        live_server.url(f"/api/v1/customer/conversations/{conversation_id}/messages"),
        json={"client_msg_id": "xss-1", "body": HOSTILE},
        headers={"X-Conversation-Token": started.json()["token"]},
    )
    assert sent.status_code == 201, sent.text

    page = page_factory(viewport=(1440, 900))
    dialogs = watch_dialogs(page)
    live_server.login(page, live_server.team.l2)
    page.goto(live_server.url(f"/console/c/{conversation_id}"))
    expect(page.get_by_text(HOSTILE, exact=True).first).to_be_visible(timeout=15_000)
    page.wait_for_timeout(500)
    assert dialogs == []
    assert not has_injected_elements(page)
    screenshot(page, "safety-console-1440")


@pytest.mark.parametrize("path", HTML_PAGES)
def test_every_html_page_carries_the_content_security_policy(
    live_server: LiveServer, page_factory: PageFactory, path: str
) -> None:
    page = page_factory()
    response = page.goto(live_server.url(path))
    assert response is not None and response.status == 200, path
    assert response.headers["content-type"].startswith("text/html")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "object-src 'none'" in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["x-content-type-options"] == "nosniff"


def test_the_browser_enforces_the_policy_on_injected_inline_script(
    live_server: LiveServer, page_factory: PageFactory
) -> None:
    """Even markup that somehow reached the DOM cannot run: inline handlers are refused."""
    page = page_factory(allow=[r"Refused to (execute|load)|Content Security Policy"])
    dialogs = watch_dialogs(page)
    page.goto(live_server.url("/widget-demo"))
    violations = page.evaluate(
        """() => new Promise(resolve => {
            const seen = []
            const note = e => seen.push(e.violatedDirective)
            document.addEventListener('securitypolicyviolation', note)
            const holder = document.createElement('div')
            holder.innerHTML = '<img src="data:," onerror="alert(1)">'
            document.body.append(holder)
            const script = document.createElement('script')
            script.textContent = 'alert(2)'
            document.body.append(script)
            setTimeout(() => resolve(seen), 500)
        })"""
    )
    assert dialogs == []
    assert any(re.match(r"script-src", v) for v in violations), violations
