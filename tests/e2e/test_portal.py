"""The customer portal on a 360 px phone: help center, order lookup, the structured ticket
form with evidence, and tracking through pending → in progress → done, then a rating."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect

from tests.support.browser import LiveServer, PageFactory, screenshot

PHONE = (360, 740)


def png_file(tmp_path: Path) -> Path:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + b"\x20\x80\xff" * 40
    header = struct.pack(">IIBBBBB", 40, 30, 8, 2, 0, 0, 0)
    path = tmp_path / "payment.png"
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * 30))
        + chunk(b"IEND", b"")
    )
    return path


def assert_fits_the_phone(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE[0], f"the page scrolls sideways on a phone ({width}px)"


def staff(server: LiveServer, username: str) -> httpx.Client:
    client = httpx.Client(base_url=server.base_url, timeout=15)
    login = client.post(
        "/api/v1/auth/login", json={"username": username, "password": server.password}
    )
    assert login.status_code == 200, login.text
    client.headers["Authorization"] = f"Bearer {login.json()['token']}"
    client.cookies.clear()
    return client


def test_the_help_center_searches_and_renders_articles_safely_on_a_phone(
    live_server: LiveServer, page_factory: PageFactory
) -> None:
    page = page_factory(viewport=PHONE)
    page.goto(live_server.url("/"))
    expect(page.locator('[data-test="help"]')).to_be_visible()
    expect(page.locator('[data-test="article-link"]').first).to_be_visible()
    assert_fits_the_phone(page)
    screenshot(page, "portal-help-360")

    page.locator('input[data-test="help-search"]').fill("卡密没收到")
    page.locator('input[data-test="help-search"]').press("Enter")
    hit = page.locator('[data-test="hit"]').first
    expect(hit).to_be_visible()
    hit.click()
    body = page.locator('[data-test="article-body"]')
    expect(body).to_be_visible()
    assert body.locator("script, iframe, [onerror]").count() == 0
    assert_fits_the_phone(page)
    screenshot(page, "portal-article-360")


def test_an_order_is_looked_up_with_its_number_and_contact(
    live_server: LiveServer, page_factory: PageFactory
) -> None:
    case = live_server.demo.example_orders()["key_used"]
    # The wrong contact below is answered 404, which Chromium logs; that is the test's doing.
    page = page_factory(viewport=PHONE, allow=[r"status of 404"])
    page.goto(live_server.url("/portal/order"))
    page.locator('input[data-test="order-no"]').fill(case.order_no)
    page.locator('input[data-test="order-contact"]').fill(case.contact or "")
    page.locator('[data-test="order-submit"]').click()
    result = page.locator('[data-test="order-result"]')
    expect(result).to_contain_text(case.order_no)
    expect(result.locator('[data-test="order-card-key"]').first).to_contain_text("****")
    assert_fits_the_phone(page)
    screenshot(page, "portal-order-360")

    page.locator('input[data-test="order-contact"]').fill("13800000000")
    page.locator('[data-test="order-submit"]').click()
    expect(page.locator('[data-test="order-error"]')).to_be_visible()


def test_a_ticket_is_filed_with_evidence_tracked_resolved_and_rated_on_a_phone(
    live_server: LiveServer, page_factory: PageFactory, tmp_path: Path
) -> None:
    case = live_server.demo.example_orders()["push_failed"]
    page = page_factory(viewport=PHONE, allow=[r"status of 4\d\d"])
    page.goto(live_server.url("/portal/ticket"))
    form = page.locator('[data-test="ticket-form"]')
    expect(form).to_be_visible()
    # Submitting without the order number is refused in the page, before any request.
    page.locator('[data-test="form-submit"]').click()
    expect(page.locator('[data-test="form-error"]')).to_contain_text("订单号")

    page.locator('input[data-test="form-order-no"]').fill(case.order_no)
    page.locator('input[data-test="form-contact"]').fill(case.contact or "")
    page.locator('textarea[data-test="form-description"]').fill("付款后一直没有到账，麻烦尽快处理")
    page.locator('input[data-test="form-evidence"]').set_input_files(str(png_file(tmp_path)))
    expect(page.locator('[data-test="evidence-item"]')).to_contain_text("payment.png")
    assert_fits_the_phone(page)
    screenshot(page, "portal-ticket-form-360", full_page=True)
    page.locator('[data-test="form-submit"]').click()

    number = page.locator('[data-test="ticket-number"]')
    expect(number).to_be_visible(timeout=20_000)
    ticket_no = number.inner_text().strip()
    page.locator('[data-test="go-track"]').click()
    result = page.locator('[data-test="track-result"]')
    expect(result).to_contain_text(ticket_no)
    expect(result.locator('[data-test="stages"]')).to_contain_text("待处理")
    expect(result.locator('[data-test="promised"]')).not_to_have_text("—")
    assert_fits_the_phone(page)
    screenshot(page, "portal-track-pending-360", full_page=True)

    page.locator('textarea[data-test="track-reply"]').fill("补充：付款时间是今天上午")
    page.locator('[data-test="track-reply-send"]').click()
    expect(result).to_contain_text(ticket_no)

    # An agent answers and resolves it; the page follows live (no reload, no button) and the
    # customer sees 已完成 and rates the service.
    expect(result.locator('[data-test="track-live"]')).to_be_visible()
    agent = staff(live_server, live_server.team.l2.username)
    found = agent.get("/api/v1/tickets", params={"view": "all"}).json()["items"]
    ticket = next(t for t in found if t["number"] == ticket_no)
    answered = agent.post(
        f"/api/v1/tickets/{ticket['id']}/replies", json={"body": "您好，正在联系上游重新推送"}
    )
    assert answered.status_code == 201, answered.text
    expect(result).to_contain_text("客服已回复")  # the public timeline names the reply
    resolved = agent.post(
        f"/api/v1/tickets/{ticket['id']}/resolve", json={"note": "已重新推送并到账"}
    )
    assert resolved.status_code == 200, resolved.text

    expect(result.locator('[data-test="status-label"]')).to_contain_text("已解决")
    expect(result).to_contain_text("已重新推送并到账")
    page.locator('[data-test="rating-stars"] .el-rate__item').nth(4).click()
    page.locator('[data-test="rating-send"]').click()
    expect(page.locator('[data-test="rated"]')).to_be_visible()
    assert_fits_the_phone(page)
    screenshot(page, "portal-track-done-360", full_page=True)


def test_tracking_from_another_device_shows_the_timeline_but_not_the_controls(
    live_server: LiveServer, page_factory: PageFactory
) -> None:
    case = live_server.demo.example_orders()["key_used"]
    customer = httpx.Client(base_url=live_server.base_url, timeout=15)
    submitted = customer.post(
        "/api/v1/customer/tickets",
        json={
            "category": "card_invalid",
            "description": "卡密显示已被使用",
            "demand": "resend",
            "order_no": case.order_no,
            "contact": case.contact,
        },
    )
    assert submitted.status_code == 201, submitted.text
    number = submitted.json()["ticket"]["number"]
    page = page_factory(viewport=PHONE)
    page.goto(live_server.url(f"/portal/track?number={number}&contact={case.contact}"))
    result = page.locator('[data-test="track-result"]')
    expect(result).to_contain_text(number)
    expect(result.locator('[data-test="track-event"]').first).to_be_visible()
    expect(page.locator('textarea[data-test="track-reply"]')).to_have_count(0)
