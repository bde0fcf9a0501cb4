"""The agent console in a real browser: a case the bot handed off is found in the inbox,
understood from the bot's summary and the customer 360, fixed with a confirmed SOP action,
answered and resolved; a restricted agent sees no control beyond their authority.
"""

from __future__ import annotations

import re
import struct
import time
import zlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Dialog, Page, WebSocketRoute, expect

from tests.support.browser import OFFLINE_NOISE, LiveServer, PageFactory, screenshot
from yiwen.store.protocol import ALL_CAPABILITIES

DESKTOP = (1440, 900)
NARROW_DESKTOP = (1280, 800)
# A small PDF (the upload sniffer knows a PDF by its magic bytes).
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def png(width: int = 40, height: int = 30) -> bytes:
    """A real PNG the browser can decode (so a thumbnail shows, not a broken image)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + b"\x20\x80\xff" * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


def report_dead_key(server: LiveServer, text_prefix: str = "") -> tuple[str, str, httpx.Client]:
    """A customer of the ``key_used`` demo order says the key does not work (the bot hands off)."""
    case = server.demo.example_orders()["key_used"]
    customer = httpx.Client(base_url=server.base_url, timeout=60)
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
    # The agent's PC clock is a month fast: SLA countdowns still run on the server's time.
    page.clock.set_system_time(datetime(2027, 1, 1, tzinfo=UTC))
    live_server.login(page, live_server.team.l2)
    # The customer's words carry markup; the console must show it as text and run nothing.
    conversation_id, order_no, customer = report_dead_key(
        live_server, "<img src=x onerror=alert(1)><script>alert(2)</script>"
    )
    ticket = wait_for_ticket(page, live_server, conversation_id)

    page.goto(live_server.url("/console/"))
    row = page.locator(f'[data-test="conv-{conversation_id}"]')
    expect(row).to_be_visible()
    expect(row.locator('[data-test="sla-badge"]')).to_contain_text(re.compile(r"^剩 \d+"))
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


class StaffStream:
    """The console's staff stream through a switch the test can throw: Playwright routes
    the page's WebSocket to the live server and can cut it (and refuse reconnections)."""

    def __init__(self, page: Page) -> None:
        self.up = True
        self.open: list[tuple[WebSocketRoute, WebSocketRoute]] = []
        page.route_web_socket(re.compile(r"/api/v1/staff/ws$"), self._route)

    def _route(self, socket: WebSocketRoute) -> None:
        if not self.up:
            socket.close(code=4000, reason="test: network down")
            return
        self.open.append((socket, socket.connect_to_server()))

    def cut(self) -> None:
        self.up = False
        for page_side, server_side in self.open:
            server_side.close()
            page_side.close(code=4000, reason="test: network down")
        self.open.clear()

    def restore(self) -> None:
        self.up = True


def test_what_arrives_while_the_console_is_offline_shows_once_it_reconnects(
    live_server: LiveServer, page_factory: PageFactory
) -> None:
    """The staff stream does not replay missed events: the console reads the open
    conversation (and the inbox) again when its stream comes back."""
    page = page_factory(viewport=DESKTOP, allow=OFFLINE_NOISE)
    stream = StaffStream(page)
    live_server.login(page, live_server.team.l2)
    conversation_id, _, customer = report_dead_key(live_server)
    wait_for_ticket(page, live_server, conversation_id)
    page.goto(live_server.url(f"/console/c/{conversation_id}"))
    live = page.locator('[data-test="live"]')
    expect(live).to_have_text("实时")
    thread = page.locator('[data-test="thread"]')
    expect(thread).to_contain_text("卡密无效")

    stream.cut()
    expect(live).to_have_text("连接中断，正在重连…")
    sent = customer.post(
        f"/api/v1/customer/conversations/{conversation_id}/messages",
        json={"client_msg_id": "c-offline", "body": "断线期间顾客补充：是安卓区"},
    )
    assert sent.status_code == 201, sent.text
    live_server.settle(conversation_id, answered=False)
    page.wait_for_timeout(500)  # its events went out to no console
    expect(thread).not_to_contain_text("断线期间顾客补充")

    stream.restore()
    expect(live).to_have_text("实时", timeout=20_000)
    expect(thread).to_contain_text("断线期间顾客补充")


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


def test_two_agents_on_one_conversation_see_who_is_viewing_and_typing(
    live_server: LiveServer, page_factory: PageFactory
) -> None:
    team = live_server.team
    first = page_factory(viewport=DESKTOP)
    second = page_factory(viewport=DESKTOP)
    live_server.login(first, team.l2)
    live_server.login(second, team.supervisor)
    conversation_id, _, _ = report_dead_key(live_server)
    wait_for_ticket(first, live_server, conversation_id)

    first.goto(live_server.url(f"/console/c/{conversation_id}"))
    expect(first.locator('[data-test="thread"]')).to_be_visible()
    expect(first.locator('[data-test="collision"]')).to_have_count(0)  # alone so far
    second.goto(live_server.url(f"/console/c/{conversation_id}"))
    expect(first.locator('[data-test="collision-viewing"]')).to_contain_text(
        f"{team.supervisor.display_name} 正在查看"
    )
    expect(second.locator('[data-test="collision-viewing"]')).to_contain_text(team.l2.display_name)

    second.locator('textarea[data-test="reply-input"]').press_sequentially("您好")
    typing = first.locator('[data-test="collision-typing"]')
    expect(typing).to_contain_text(f"{team.supervisor.display_name} 正在输入")
    screenshot(first, "console-collision-1440")

    # Leaving the conversation clears the notice at once (no wait for it to expire).
    second.locator('[data-test="nav-inbox"]').click()
    expect(first.locator('[data-test="collision"]')).to_have_count(0)


def test_an_action_the_shop_cannot_do_is_disabled_and_a_refusal_shows_the_owners_task(
    live_server: LiveServer, page_factory: PageFactory
) -> None:
    page = page_factory(viewport=DESKTOP, allow=[r"status of 409 \(Conflict\)"])
    live_server.login(page, live_server.team.l2)
    conversation_id, order_no, _ = report_dead_key(live_server)
    ticket = wait_for_ticket(page, live_server, conversation_id)
    demo = live_server.demo
    try:
        # A shop that cannot re-push to its supplier from outside (a dujiaoka without the plug-in).
        demo.capabilities = ALL_CAPABILITIES - {"repush_upstream", "issue_coupon"}  # type: ignore[attr-defined]
        page.goto(live_server.url(f"/console/c/{conversation_id}"))
        page.get_by_role("tab", name="SOP 操作").click()
        coupon = page.locator('[data-test="action-issue_coupon"]')
        expect(coupon.locator('[data-test="unsupported-issue_coupon"]')).to_contain_text(
            "需店主处理"
        )
        expect(page.locator('[data-test="do-issue_coupon"]')).to_be_disabled()
        expect(page.locator('[data-test="do-resend_delivery"]')).to_be_enabled()

        # The shop changes under the agent's feet: the refund the panel offered is refused.
        demo.capabilities = ALL_CAPABILITIES - {"repush_upstream", "issue_coupon", "refund"}  # type: ignore[attr-defined]
        amount = page.locator('[data-test="action-refund"] input')
        amount.fill("5")
        amount.blur()
        page.locator('[data-test="do-refund"]').click()
        confirm_message_box(page)
        task = page.locator('[data-test="owner-task"]')
        expect(task).to_contain_text("需要店主处理")
        expect(task.locator('[data-test="owner-task-text"]')).to_contain_text(order_no)
        expect(page.locator(".el-message--error")).to_have_count(0)
        expect(page.locator('[data-test="do-refund"]')).to_be_disabled()
        screenshot(page, "console-sop-owner-task-1440")
    finally:
        del demo.capabilities  # type: ignore[attr-defined]

    detail = page.request.get(live_server.url(f"/api/v1/tickets/{ticket['id']}")).json()
    notes = [e for e in detail["timeline"] if e["kind"] == "action.needs_shop_owner"]
    assert len(notes) == 1 and order_no in notes[0]["body"]
    after = page.request.get(live_server.url(f"/api/v1/orders/{order_no}")).json()
    assert after["refunded_amount"] in ("0", "0.00")


def test_evidence_from_the_portal_form_shows_in_the_console(
    live_server: LiveServer, page_factory: PageFactory
) -> None:
    case = live_server.demo.example_orders()["push_failed"]
    customer = httpx.Client(base_url=live_server.base_url, timeout=60)
    started = customer.post("/api/v1/customer/conversations", json={"contact": case.contact})
    assert started.status_code == 201, started.text
    conversation_id = started.json()["conversation"]["id"]
    customer.headers["X-Conversation-Token"] = started.json()["token"]
    uploads = [
        ("付款截图.png", png(), "image/png"),
        ("银行流水.pdf", PDF, "application/pdf"),
    ]
    ids = []
    for name, data, kind in uploads:
        stored = customer.post(
            f"/api/v1/customer/conversations/{conversation_id}/attachments",
            files={"file": (name, data, kind)},
        )
        assert stored.status_code == 201, stored.text
        ids.append(stored.json()["id"])
    filed = customer.post(
        "/api/v1/customer/tickets",
        json={
            "category": "delivery_missing",
            "description": "付款成功但一直没到账，截图和流水在附件",
            "demand": "resend",
            "order_no": case.order_no,
            "contact": case.contact,
            "evidence_ids": ids,
        },
    )
    assert filed.status_code == 201, filed.text

    page = page_factory(viewport=DESKTOP)
    live_server.login(page, live_server.team.l2)
    page.goto(live_server.url(f"/console/c/{filed.json()['conversation']['id']}"))
    evidence = page.locator('[data-test="evidence"]')
    image = evidence.locator('[data-test="evidence-image"] img')
    expect(image).to_be_visible()
    page.wait_for_function(
        "() => document.querySelector('[data-test=evidence-image] img')?.naturalWidth === 40"
    )
    pdf = evidence.locator('[data-test="evidence-file"]')
    expect(pdf).to_contain_text("银行流水.pdf")
    with page.expect_download() as download:
        pdf.click()
    assert Path(download.value.path()).read_bytes() == PDF
    image.click()  # the preview opens over the page
    expect(page.locator(".el-image-viewer__wrapper")).to_be_visible()
    screenshot(page, "console-evidence-1440")
