"""Admin screens part B in a real browser: macros used in a reply, knowledge-base articles
reaching the help center with markup inert, channel accounts whose secrets never come back,
the store connector's health check, webhooks; an agent without the permissions sees none.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_console_workbench import wait_for_ticket
from tests.support.browser import LiveServer, PageFactory, screenshot

DESKTOP = (1440, 900)
# The server refuses the raw-HTML article body with a 422, which Chromium logs as an error.
REFUSED_SAVE = [r"the server responded with a status of 422"]


@pytest.fixture(scope="module")
def live_server_options() -> dict[str, Any]:
    """Webhook receivers on loopback are allowed here, so one can be saved without the internet."""
    return {"webhook_allow_private": True}


def csrf(page: Page) -> dict[str, str]:
    token = page.evaluate("JSON.parse(sessionStorage.getItem('yiwen.console.session')).csrf_token")
    return {"X-CSRF-Token": token}


def open_case(server: LiveServer) -> tuple[str, str]:
    """A customer says the key of the ``key_used`` demo order does not work; the bot hands
    off. The bot answers inside the customer's request, so a loaded machine needs patience."""
    case = server.demo.example_orders()["key_used"]
    with httpx.Client(base_url=server.base_url, timeout=90) as customer:
        started = customer.post("/api/v1/customer/conversations", json={"contact": case.contact})
        assert started.status_code == 201, started.text
        conversation_id = started.json()["conversation"]["id"]
        sent = customer.post(
            f"/api/v1/customer/conversations/{conversation_id}/messages",
            json={"client_msg_id": "c-1", "body": f"订单 {case.order_no} 的卡密无效，提示已被使用"},
            headers={"X-Conversation-Token": started.json()["token"]},
        )
        assert sent.status_code == 201, sent.text
    return conversation_id, case.order_no


def settle(page: Page) -> None:
    """Element Plus fades dialogs and messages; wait them out before a picture."""
    page.wait_for_timeout(350)


def test_a_supervisor_writes_a_macro_with_variables_and_uses_it_in_a_reply(
    live_server: LiveServer, page_factory: PageFactory
) -> None:
    page = page_factory(viewport=DESKTOP)
    live_server.login(page, live_server.team.supervisor)
    conversation_id, order_no = open_case(live_server)
    ticket = wait_for_ticket(page, live_server, conversation_id)

    page.goto(live_server.url("/console/admin/macros"))
    expect(page.locator('[data-test="admin-menu"]')).to_contain_text("快捷回复")
    page.locator('[data-test="macro-new"]').click()
    dialog = page.locator('[data-test="macro-dialog"]')
    dialog.locator('[data-test="macro-save"]').click()
    expect(dialog.locator(".el-form-item__error").first).to_have_text("必填")

    dialog.locator('input[data-test="macro-title"]').fill("卡密补发通知")
    body = dialog.locator('textarea[data-test="macro-body"]')
    body.fill("{customer_name}您好，")
    body.press("End")
    dialog.locator('[data-test="macro-var-order_no"]').click()
    body.press("End")
    body.type(" 的卡密已补发，工单 ")
    dialog.locator('[data-test="macro-var-ticket_no"]').click()
    expect(body).to_have_value("{customer_name}您好，{order_no} 的卡密已补发，工单 {ticket_no}")
    preview = dialog.locator('[data-test="macro-preview"]')
    expect(preview).to_contain_text("王小明您好，D20250101123456 的卡密已补发，工单 YW-250101-0001")
    settle(page)
    screenshot(page, "admin-macro-dialog-1440")
    dialog.locator('[data-test="macro-save"]').click()
    expect(page.locator('[data-test="macro-table"]')).to_contain_text("卡密补发通知")
    settle(page)
    screenshot(page, "admin-macros-1440")

    # In the conversation, the macro comes out with this ticket's order and number filled in.
    page.goto(live_server.url(f"/console/c/{conversation_id}"))
    expect(page.locator('[data-test="ticket-number"]')).to_have_text(ticket["number"])
    page.locator('[data-test="macros"]').click()
    page.locator('[data-test="macro-卡密补发通知"]').click()
    reply = page.locator('textarea[data-test="reply-input"]')
    expect(reply).to_have_value(
        re.compile(f"您好，{order_no} 的卡密已补发，工单 {ticket['number']}$")
    )
    assert "{" not in reply.input_value()

    # Deactivated, it leaves the reply box's list but stays in the admin list.
    page.goto(live_server.url("/console/admin/macros"))
    page.locator('[data-test="macro-toggle-卡密补发通知"]').click()
    page.locator(".el-message-box .el-button--primary").click()
    expect(page.locator('[data-test="macro-table"]')).to_contain_text("已停用")
    listed = page.request.get(live_server.url("/api/v1/macros")).json()
    assert "卡密补发通知" not in [m["title"] for m in listed]


def test_an_edited_article_reaches_the_help_center_and_markup_stays_inert(
    live_server: LiveServer, page_factory: PageFactory
) -> None:
    page = page_factory(viewport=DESKTOP, allow=REFUSED_SAVE)
    live_server.login(page, live_server.team.supervisor)
    page.goto(live_server.url("/console/admin/kb"))
    table = page.locator('[data-test="kb-table"]')
    expect(table).to_contain_text("refund-timing")
    status_filter = page.locator('[data-test="kb-filter-status"]')
    status_filter.click()
    page.locator(".el-select-dropdown__item:visible", has_text="未发布").click()
    expect(table.locator(".el-table__empty-text")).to_be_visible()
    status_filter.click()
    page.locator(".el-select-dropdown__item:visible", has_text="已发布").click()
    expect(table).to_contain_text("refund-timing")
    settle(page)
    screenshot(page, "admin-kb-1440")

    page.locator('[data-test="kb-edit-refund-timing"]').click()
    dialog = page.locator('[data-test="kb-dialog"]')
    body = dialog.locator('textarea[data-test="kb-body"]')
    preview = dialog.locator('[data-test="kb-preview"]')
    # Raw HTML: the preview shows it as text and the server refuses to store it.
    body.fill(
        "退款 1–3 个工作日到账。\n\n"
        '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>'
    )
    expect(preview).to_contain_text('<img src=x onerror="window.__xss=1">')
    assert preview.locator("img, script").count() == 0
    expect(dialog.locator('[data-test="kb-html-warning"]')).to_be_visible()
    dialog.locator('[data-test="kb-save"]').click()
    expect(page.locator(".el-message--error")).to_contain_text("不能包含 HTML 标签")

    # Markup written as entities and a javascript: link are stored, and stay inert everywhere.
    body.fill(
        "退款审核通过后 **E2E 新说明**：原路退回 1–3 个工作日到账。\n\n"
        "示例 &lt;img src=x onerror=window.__xss=1&gt; 只是文字。\n\n"
        "[点此查看](javascript:window.__xss=3) · [退款政策](/help/articles/refund-policy)"
    )
    expect(preview.locator("strong")).to_have_text("E2E 新说明")
    expect(preview).to_contain_text("<img src=x onerror=window.__xss=1>")
    assert preview.locator("img").count() == 0
    assert preview.locator('a[href^="javascript"]').count() == 0
    settle(page)
    screenshot(page, "admin-kb-editor-1440")
    dialog.locator('[data-test="kb-save"]').click()
    expect(page.locator(".el-message--success")).to_contain_text("已发布")
    expect(dialog).to_be_hidden()

    portal = page.context.new_page()
    portal.goto(live_server.url("/help/articles/refund-timing"))  # the bot's link
    expect(portal).to_have_url(re.compile(r"/portal/articles/refund-timing$"))
    article = portal.locator('[data-test="article-body"]')
    expect(article).to_contain_text("E2E 新说明")
    expect(article).to_contain_text("<img src=x onerror=window.__xss=1>")
    assert article.locator("img, script").count() == 0
    assert article.locator('a[href^="javascript"]').count() == 0
    article.get_by_text("点此查看").click()
    assert portal.evaluate("window.__xss") is None
    assert page.evaluate("window.__xss") is None

    # Unpublished (confirmed), it leaves the help center.
    page.locator('[data-test="kb-unpublish-refund-timing"]').click()
    with page.expect_response(lambda r: r.request.method == "DELETE") as unpublished:
        page.locator(".el-message-box .el-button--primary").click()
    assert unpublished.value.status == 200, unpublished.value.text()
    status = page.locator('[data-test="kb-status-refund-timing"]')
    expect(status).to_have_count(0)  # the list still shows published articles only
    status_filter.click()
    page.locator(".el-select-dropdown__item:visible", has_text="未发布").click()
    expect(status).to_have_text("未发布")
    expect(page.locator('[data-test="kb-publish-refund-timing"]')).to_be_visible()
    gone = page.request.get(live_server.url("/api/v1/help/articles/refund-timing"))
    assert gone.status == 404


def test_a_telegram_account_shows_its_callback_url_and_never_its_secrets(
    live_server: LiveServer, page_factory: PageFactory
) -> None:
    page = page_factory(viewport=DESKTOP)
    live_server.login(page, live_server.team.supervisor)
    token, hook_secret = (
        "7012345678:AAH-e2e-bot-token-never-shown",
        "whsec-e2e-0123456789abcdefghij",
    )
    page.goto(live_server.url("/console/admin/channels"))
    page.locator('[data-test="channel-new"]').click()
    dialog = page.locator('[data-test="channel-dialog"]')
    dialog.locator('input[data-test="channel-name"]').fill("官方 Telegram")
    dialog.locator('[data-test="channel-save"]').click()
    expect(dialog.locator(".el-form-item__error")).to_have_count(2)  # both secrets required
    dialog.locator('input[data-test="channel-secret-input-bot_token"]').fill(token)
    dialog.locator('input[data-test="channel-secret-input-webhook_secret"]').fill(hook_secret)
    settle(page)
    screenshot(page, "admin-channel-dialog-1440")
    dialog.locator('[data-test="channel-save"]').click()
    expect(dialog).to_be_hidden()

    callback = page.locator('[data-test="channel-callback-官方 Telegram"]')
    expect(callback).to_have_text(re.compile(r"^http://127\.0\.0\.1:\d+/channels/telegram/\w+$"))
    expect(page.locator('[data-test="channel-secret-官方 Telegram-bot_token"]')).to_contain_text(
        "已设置"
    )
    settle(page)
    screenshot(page, "admin-channels-1440")
    assert token not in page.content() and hook_secret not in page.content()

    listed = page.request.get(live_server.url("/api/v1/admin/channels"))
    assert listed.ok
    assert token not in listed.text() and hook_secret not in listed.text()
    account = next(a for a in listed.json()["items"] if a["name"] == "官方 Telegram")
    assert account["secret_names"] == ["bot_token", "webhook_secret"]
    assert callback.inner_text().endswith(account["webhook_path"])
    one = page.request.get(live_server.url(f"/api/v1/admin/channels/{account['id']}"))
    assert token not in one.text() and hook_secret not in one.text()

    # Editing shows "set", with empty inputs; saving without typing keeps the secrets.
    page.locator('[data-test="channel-edit-官方 Telegram"]').click()
    expect(dialog.locator('[data-test="channel-secret-set-bot_token"]')).to_have_text("已设置")
    expect(dialog.locator('input[data-test="channel-secret-input-bot_token"]')).to_have_value("")
    assert token not in page.content()
    dialog.locator('input[data-test="channel-name"]').fill("官方 Telegram 机器人")
    dialog.locator('[data-test="channel-save"]').click()
    expect(page.locator('[data-test="channel-callback-官方 Telegram 机器人"]')).to_be_visible()
    again = page.request.get(live_server.url(f"/api/v1/admin/channels/{account['id']}")).json()
    assert again["secret_names"] == ["bot_token", "webhook_secret"]


def test_the_connector_check_reports_ok_against_the_demo_shop_and_webhooks_are_listed(
    live_server: LiveServer, page_factory: PageFactory
) -> None:
    page = page_factory(viewport=DESKTOP)
    live_server.login(page, live_server.team.admin)
    order_no = live_server.demo.example_orders()["delivered_ok"].order_no
    page.goto(live_server.url("/console/admin/connector"))
    expect(page.locator('[data-test="connector-kind"]')).to_have_text("演示店铺（内置）")
    expect(page.locator('[data-test="connector-readonly"]')).to_contain_text("环境变量")
    page.locator('input[data-test="connector-order"]').fill(order_no)
    page.locator('[data-test="connector-test"]').click()
    ok = page.locator('[data-test="connector-ok"]')
    expect(ok).to_contain_text(re.compile(r"连接正常，耗时 [\d.]+ ms"))
    expect(page.locator('[data-test="connector-result"]')).to_contain_text(order_no)
    settle(page)
    screenshot(page, "admin-connector-1440")

    page.locator('[data-test="admin-nav-admin-webhooks"]').click()
    page.locator('[data-test="webhook-new"]').click()
    dialog = page.locator('[data-test="webhook-dialog"]')
    dialog.locator('input[data-test="webhook-url"]').fill("not a url")
    dialog.locator('[data-test="webhook-save"]').click()
    expect(dialog.locator(".el-form-item__error")).to_be_visible()
    dialog.locator('input[data-test="webhook-url"]').fill("http://127.0.0.1:9/yiwen-hook")
    dialog.locator('input[data-test="webhook-description"]').fill("工单事件推送到 ERP")
    dialog.locator('[data-test="webhook-save"]').click()
    secret = page.locator('[data-test="webhook-secret"]')
    expect(secret).to_have_text(re.compile(r"^\S{16,}$"))
    shown_once = secret.inner_text()
    page.locator(".el-message-box .el-button--primary").click()
    expect(page.locator('[data-test="webhook-table"]')).to_contain_text("127.0.0.1:9/yiwen-hook")
    expect(secret).to_have_count(0)
    assert shown_once not in page.content()
    listed = page.request.get(live_server.url("/api/v1/admin/notify/webhooks"))
    assert shown_once not in listed.text()
    settle(page)
    screenshot(page, "admin-webhooks-1440")
    page.locator('[data-test="tab-deliveries"]').click()
    expect(page.locator('[data-test="delivery-table"]')).to_be_visible()
    settle(page)
    screenshot(page, "admin-deliveries-1440")


def test_an_agent_without_the_permissions_sees_no_admin_screen_and_the_api_refuses(
    live_server: LiveServer, page_factory: PageFactory
) -> None:
    page = page_factory(viewport=DESKTOP)
    live_server.login(page, live_server.team.l2)
    page.goto(live_server.url("/console/"))
    expect(page.locator('[data-test="nav-inbox"]')).to_be_visible()
    expect(page.locator('[data-test="nav-admin"]')).to_have_count(0)
    for screen in ("macros", "kb", "connector", "channels", "webhooks"):
        page.goto(live_server.url(f"/console/admin/{screen}"))
        expect(page).to_have_url(re.compile(r"/console/$"))
        expect(page.locator(f'[data-test="admin-{screen}"]')).to_have_count(0)

    headers = csrf(page)
    refused = [
        page.request.get(live_server.url("/api/v1/macros?include_inactive=true")),
        page.request.post(
            live_server.url("/api/v1/macros"), data={"title": "x", "body": "y"}, headers=headers
        ),
        page.request.get(live_server.url("/api/v1/admin/kb/articles")),
        page.request.put(
            live_server.url("/api/v1/admin/kb/articles/refund-timing"),
            data={"title": "改掉", "category": "refund_status", "body": "任何人都能改吗？不能。"},
            headers=headers,
        ),
        page.request.get(live_server.url("/api/v1/admin/connector")),
        page.request.post(live_server.url("/api/v1/admin/connector/test"), headers=headers),
        page.request.get(live_server.url("/api/v1/admin/channels")),
        page.request.post(
            live_server.url("/api/v1/admin/channels"),
            data={"channel": "telegram", "name": "x"},
            headers=headers,
        ),
        page.request.get(live_server.url("/api/v1/admin/notify/webhooks")),
        page.request.get(live_server.url("/api/v1/admin/notify/deliveries")),
    ]
    assert [r.status for r in refused] == [403] * len(refused)
    assert {r.json()["error"]["code"] for r in refused} == {"permission_denied"}
