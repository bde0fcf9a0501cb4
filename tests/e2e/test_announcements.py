"""Announcements in a real browser: a supervisor publishes one in the console, a customer on a
phone sees the banner in the widget and the portal, and the bot answers with it.

One browser, three page loads (console, widget demo page, portal).
"""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import expect

from tests.support.browser import BOT_WAIT, LiveServer, PageFactory, screenshot

SUPPLIER = "速充科技"
BODY = "某供应商充值延迟，预计30分钟内恢复"


def test_a_published_announcement_shows_in_the_widget_and_portal_and_the_bot_says_it(
    live_server: LiveServer, page_factory: PageFactory
) -> None:
    console = page_factory(viewport=(1280, 800))
    live_server.login(console, live_server.team.supervisor)
    console.goto(live_server.url("/console/announcements"))
    console.locator('[data-test="ann-new"]').click()
    console.locator('[data-test="ann-title"]').fill(f"{SUPPLIER}充值延迟")
    console.locator('[data-test="ann-body"]').fill(BODY)
    console.locator('[data-test="ann-scope"]').click()
    console.get_by_role("option", name="供应商").click()
    console.locator('[data-test="ann-scope-value"]').fill(SUPPLIER)
    console.locator('[data-test="ann-publish"]').click()
    expect(console.locator('[data-test="announcements"]')).to_contain_text(BODY)
    console.locator('[data-test="ann-send"]:visible').click()
    expect(console.locator('[data-test="announcements"]')).to_contain_text("已发")

    now = live_server.clock.now()
    order = next(
        o
        for o in live_server.demo.find_open_orders(
            paid_since=now - timedelta(days=3), supplier=SUPPLIER
        )
        if o.status == "delivery_failed"
    )
    phone = page_factory(viewport=(360, 740))
    phone.goto(live_server.url("/widget-demo"))
    phone.locator("button.launcher").click()
    banner = phone.locator('[data-test="announcement-banner"]')
    expect(banner).to_be_visible()
    expect(banner).to_contain_text(BODY)
    box = phone.locator(".composer textarea")
    box.fill(f"订单 {order.order_no} 充值一直没到账")
    box.press("Enter")
    expect(phone.locator(".msg.from-bot .bubble", has_text="预计30分钟内恢复")).to_be_visible(
        timeout=BOT_WAIT
    )
    screenshot(phone, "announcement-widget-360")

    phone.goto(live_server.url("/portal/"))
    expect(phone.locator('[data-test="announcement-banner"]')).to_contain_text(BODY)
    screenshot(phone, "announcement-portal-360")
