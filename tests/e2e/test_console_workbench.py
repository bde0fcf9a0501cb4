"""The agent console in a real browser: a case the bot handed off is found in the inbox,
understood from the bot's summary and the customer 360, fixed with a confirmed SOP action,
answered and resolved; a restricted agent sees no control beyond their authority.
"""

from __future__ import annotations

import re
import time
from typing import Any

import httpx
from playwright.sync_api import Dialog, Page, expect

from tests.support.browser import LiveServer, PageFactory, screenshot

DESKTOP = (1440, 900)
NARROW_DESKTOP = (1280, 800)


def report_dead_key(server: LiveServer, text_prefix: str = "") -> tuple[str, str, httpx.Client]:
    """A customer of the ``key_used`` demo order says the key does not work (the bot hands off)."""
    case = server.demo.example_orders()["key_used"]
    customer = httpx.Client(base_url=server.base_url, timeout=15)
    started = customer.post("/api/v1/customer/conversations", json={"contact": case.contact})
    assert started.status_code == 201, started.text
    conversation_id = started.json()["conversation"]["id"]
    customer.headers["X-Conversation-Token"] = started.json()["token"]
    sent = customer.post(
        f"/api/v1/customer/conversations/{conversation_id}/messages",
        json={
            "client_msg_id": "c-1",
            "body": f"{text_prefix}订单 {case.order_no} 的卡密无效，提示已被使用，麻烦处理",
        },
    )
    assert sent.status_code == 201, sent.text
    return conversation_id, case.order_no, customer


def wait_for_ticket(page: Page, server: LiveServer, conversation_id: str) -> dict[str, Any]:
    """The bot works after the customer's message is committed; wait for its handoff ticket."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        answer = page.request.get(server.url(f"/api/v1/conversations/{conversation_id}"))
        assert answer.ok, answer.text()
        tickets = answer.json()["tickets"]
        if tickets:
            ticket: dict[str, Any] = tickets[0]
            return ticket
        time.sleep(0.2)
    raise AssertionError("the bot opened no ticket for the conversation")


def csrf(page: Page) -> str:
    token = page.evaluate("JSON.parse(sessionStorage.getItem('yiwen.console.session')).csrf_token")
    assert isinstance(token, str)
    return token


def confirm_message_box(page: Page) -> None:
    box = page.locator(".el-message-box")
    expect(box).to_be_visible()
    box.locator(".el-button--primary").click()


def test_an_agent_finds_the_case_acts_replies_and_resolves_it(
    live_server: LiveServer, page_factory: PageFactory
) -> None:
    page = page_factory(viewport=DESKTOP)
    dialogs: list[str] = []

    def on_dialog(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    live_server.login(page, live_server.team.l2)
    # The customer's words carry markup; the console must show it as text and run nothing.
    conversation_id, order_no, customer = report_dead_key(
        live_server, "<img src=x onerror=alert(1)><script>alert(2)</script>"
    )
    ticket = wait_for_ticket(page, live_server, conversation_id)

    page.goto(live_server.url("/console/"))
    row = page.locator(f'[data-test="conv-{conversation_id}"]')
    expect(row).to_be_visible()
    expect(row.locator('[data-test="sla-badge"]')).to_be_visible()
    screenshot(page, "console-inbox-1440")

    row.click()
    expect(page.locator('[data-test="ticket-number"]')).to_have_text(ticket["number"])
    expect(page.locator('[data-test="case-summary"]')).to_contain_text(order_no)
    first = page.locator('[data-test="message-body"]').first
    expect(first).to_contain_text("<img src=x onerror=alert(1)>")
    expect(first).to_contain_text("<script>alert(2)</script>")
    assert page.locator('[data-test="thread"] img[src="x"]').count() == 0
    # Customer 360: the order with its delivery and the masked key.
    order = page.locator(f'[data-test="order-{order_no}"]')
    expect(order).to_be_visible()
    expect(order.locator('[data-test="card-key"]').first).to_contain_text("****")
    screenshot(page, "console-conversation-1440")

    # SOP: resend the card key, confirmed, and the ticket's timeline records it.
    page.get_by_role("tab", name="SOP 操作").click()
    page.locator('[data-test="do-resend_delivery"]').click()
    confirm_message_box(page)
    expect(page.locator(".el-message--success")).to_contain_text("补发卡密")
    page.get_by_role("tab", name="时间线").click()
    expect(page.locator('[data-test="timeline"]')).to_contain_text(order_no)
    screenshot(page, "console-sop-timeline-1440")

    # Reply with the keyboard: r focuses the reply box, Ctrl+Enter sends.
    page.locator('[data-test="thread"]').click()
    page.keyboard.press("r")
    reply_box = page.locator('textarea[data-test="reply-input"]')
    expect(reply_box).to_be_focused()
    reply_box.fill("您好，卡密已为您重新发送，请查收。")
    reply_box.press("Control+Enter")
    expect(page.locator('[data-test="thread"]')).to_contain_text("卡密已为您重新发送")

    page.locator('[data-test="resolve"]').click()
    page.locator('textarea[data-test="resolve-note"]').fill("已补发可用卡密")
    page.locator('[data-test="resolve-confirm"]').click()
    expect(page.locator('[data-test="reopen"]')).to_be_visible()

    detail = page.request.get(live_server.url(f"/api/v1/tickets/{ticket['id']}")).json()
    assert detail["ticket"]["status"] == "resolved"
    kinds = [e["kind"] for e in detail["timeline"]]
    assert any("action" in kind for kind in kinds), kinds
    public = customer.get(f"/api/v1/customer/conversations/{conversation_id}/messages").json()
    assert any("卡密已为您重新发送" in m["body"] for m in public["items"])
    assert dialogs == []


def test_the_inbox_fits_a_1280_screen_switches_language_and_moves_with_j_and_k(
    live_server: LiveServer, page_factory: PageFactory
) -> None:
    page = page_factory(viewport=NARROW_DESKTOP)
    live_server.login(page, live_server.team.l2)
    first, _, _ = report_dead_key(live_server)
    second, _, _ = report_dead_key(live_server)
    wait_for_ticket(page, live_server, second)

    page.goto(live_server.url("/console/"))
    expect(page.locator(f'[data-test="conv-{second}"]')).to_be_visible()
    page.locator("body").press("j")
    expect(page).to_have_url(re.compile(f"/console/c/{second}$"))
    page.locator("body").press("j")
    expect(page).to_have_url(re.compile(f"/console/c/{first}$"))
    page.locator("body").press("k")
    expect(page).to_have_url(re.compile(f"/console/c/{second}$"))
    page.locator('[data-test="locale"]').get_by_text("EN").click()
    expect(page.get_by_role("tab", name="Customer 360")).to_be_visible()
    expect(page.locator('[data-test="customer-360"]')).to_contain_text("Orders (90 days)")
    page.wait_for_timeout(400)  # let Element Plus finish its fades before the picture
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= NARROW_DESKTOP[0], f"the console overflows sideways ({width}px)"
    screenshot(page, "console-conversation-1280-en")


def test_a_restricted_agent_sees_no_reveal_or_refund_above_limit_and_the_api_refuses(
    live_server: LiveServer, page_factory: PageFactory
) -> None:
    page = page_factory(viewport=DESKTOP)
    live_server.login(page, live_server.team.l1)  # agent_l1: refunds up to 50 yuan, no reveal
    conversation_id, order_no, _ = report_dead_key(live_server)
    ticket = wait_for_ticket(page, live_server, conversation_id)

    page.goto(live_server.url(f"/console/c/{conversation_id}"))
    order = page.locator(f'[data-test="order-{order_no}"]')
    expect(order.locator('[data-test="card-key"]').first).to_contain_text("****")
    expect(page.locator('[data-test="reveal"]')).to_have_count(0)

    page.get_by_role("tab", name="SOP 操作").click()
    refund = page.locator('[data-test="action-refund"]')
    expect(refund).to_contain_text("50.00")
    amount = refund.locator("input")
    amount.fill("80")
    amount.blur()
    expect(amount).to_have_value("50.00")  # clamped to the role's limit
    expect(page.locator('[data-test="do-freeze_account"]')).to_have_count(0)
    screenshot(page, "console-restricted-sop-1440")

    before = page.request.get(live_server.url(f"/api/v1/orders/{order_no}")).json()
    headers = {"X-CSRF-Token": csrf(page), "Idempotency-Key": "e2e-refund-above-limit"}
    refused = page.request.post(
        live_server.url(f"/api/v1/tickets/{ticket['id']}/actions"),
        data={"action": "refund", "order_no": order_no, "amount": "80.00", "reason": "e2e"},
        headers=headers,
    )
    assert refused.status == 403, refused.text()
    keys = before["delivery"]["card_keys"]
    reveal = page.request.post(
        live_server.url(f"/api/v1/orders/{order_no}/card-keys/{keys[0]['key_id']}/reveal"),
        data={"ticket_id": ticket["id"], "reason": "e2e check"},
        headers={"X-CSRF-Token": csrf(page)},
    )
    assert reveal.status == 403, reveal.text()
    after = page.request.get(live_server.url(f"/api/v1/orders/{order_no}")).json()
    assert after["refunded_amount"] == before["refunded_amount"]


def test_a_supervisor_sees_the_kpi_dashboard_and_the_live_queue_board(
    live_server: LiveServer, page_factory: PageFactory
) -> None:
    page = page_factory(viewport=DESKTOP)
    live_server.login(page, live_server.team.supervisor)
    page.goto(live_server.url("/console/dashboard"))
    dashboard = page.locator('[data-test="dashboard"]')
    expect(dashboard).to_contain_text("新建工单")
    expect(dashboard.locator("canvas")).to_have_count(1)
    page.wait_for_timeout(400)
    screenshot(page, "console-dashboard-1440")
    page.locator('[data-test="nav-board"]').click()
    board = page.locator('[data-test="board"]')
    expect(board.locator(".el-table__row").first).to_be_visible()
    screenshot(page, "console-board-1440")
