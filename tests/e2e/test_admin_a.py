"""The console's admin screens (part A) in a real browser: staff and roles, queues and routing,
SLA policies and calendars, categories and the audit log, each behind its permission.

One live server and one browser for the module; each test opens its own page.
"""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, expect

from tests.support.browser import LiveServer, PageFactory, screenshot

DESKTOP = (1440, 900)
NEW_PASSWORD = "Xin-kefu-2026"


def admin_page(
    server: LiveServer, page_factory: PageFactory, path: str, allow: list[str] | None = None
) -> Page:
    page = page_factory(viewport=DESKTOP, allow=allow)
    server.login(page, server.team.admin)
    page.goto(server.url(path))
    return page


def pick(page: Page, select_test: str, option: str) -> None:
    """Choose ``option`` (its visible text) in the Element Plus select marked ``select_test``."""
    page.locator(f'[data-test="{select_test}"]').click()
    page.locator(".el-select-dropdown__item:visible", has_text=option).first.click()


def api_get(page: Page, server: LiveServer, path: str) -> Any:
    answer = page.request.get(server.url(path))
    assert answer.ok, answer.text()
    return answer.json()


def test_an_admin_creates_an_agent_who_can_log_in_and_the_audit_log_shows_it(
    live_server: LiveServer, page_factory: PageFactory
) -> None:
    # The duplicate username below is refused with a 409 on purpose.
    page = admin_page(live_server, page_factory, "/console/", allow=[r"status of 409"])
    page.locator('[data-test="nav-admin"]').click()
    expect(page.locator('[data-test="admin-staff"]')).to_be_visible()
    expect(page.locator('[data-test="staff-table"]')).to_contain_text("客服小一")
    screenshot(page, "admin-staff-1440")

    page.locator('[data-test="staff-new"]').click()
    dialog = page.locator('[data-test="staff-dialog"]')
    expect(dialog).to_be_visible()
    # The form refuses a bad username and mismatched passwords before anything is sent.
    dialog.locator('[data-test="staff-username"]').fill("-bad")
    dialog.locator('[data-test="staff-display-name"]').fill("新客服小七")
    dialog.locator('[data-test="staff-password"]').fill(NEW_PASSWORD)
    dialog.locator('[data-test="staff-password-again"]').fill("something-else")
    dialog.locator('[data-test="staff-save"]').click()
    expect(dialog.locator(".el-form-item__error")).to_have_count(2)
    dialog.locator('[data-test="staff-username"]').fill("xiaoqi")
    dialog.locator('[data-test="staff-password-again"]').fill(NEW_PASSWORD)
    expect(dialog.locator('[data-test="staff-role"]')).to_contain_text("一线客服")
    pick(page, "staff-role", "资深客服")
    pick(page, "staff-role", "一线客服")
    screenshot(page, "admin-staff-create-1440")
    dialog.locator('[data-test="staff-save"]').click()
    expect(page.locator(".el-message--success")).to_contain_text("新客服小七")
    expect(page.locator('[data-test="staff-table"]')).to_contain_text("xiaoqi")

    # A server refusal is shown as its message: the same username again is taken.
    page.locator('[data-test="staff-new"]').click()
    dialog.locator('[data-test="staff-username"]').fill("xiaoqi")
    dialog.locator('[data-test="staff-display-name"]').fill("重复")
    dialog.locator('[data-test="staff-password"]').fill(NEW_PASSWORD)
    dialog.locator('[data-test="staff-password-again"]').fill(NEW_PASSWORD)
    dialog.locator('[data-test="staff-save"]').click()
    expect(page.locator(".el-message--error")).to_contain_text("用户名 xiaoqi 已被使用")
    dialog.get_by_role("button", name="取消").click()

    page.get_by_role("tab", name="角色与权限").click()
    roles = page.locator('[data-test="roles-table"]')
    expect(roles.locator('[data-test="refund-limit-agent_l1"]')).to_have_text("50 元")
    expect(roles.locator('[data-test="refund-limit-finance"]')).to_have_text("不限额")
    expect(roles.locator('[data-test="refund-limit-tech"]')).to_have_text("无权限")
    screenshot(page, "admin-roles-1440")

    # The new agent logs in through the console's login page.
    agent = page_factory(viewport=DESKTOP)
    agent.goto(live_server.url("/console/login"))
    agent.locator('[data-test="username"]').fill("xiaoqi")
    agent.locator('[data-test="password"]').fill(NEW_PASSWORD)
    agent.locator('[data-test="login-submit"]').click()
    expect(agent.locator('[data-test="nav-inbox"]')).to_be_visible()
    me = api_get(agent, live_server, "/api/v1/auth/me")
    assert (me["username"], me["role"]) == ("xiaoqi", "agent_l1")
    expect(agent.locator('[data-test="nav-admin"]')).to_have_count(0)

    # The audit viewer, filtered by action, shows who created the account.
    page.locator('[data-test="admin-nav-admin-audit"]').click()
    expect(page.locator('[data-test="audit-table"] tbody tr').first).to_be_visible()
    page.locator('[data-test="audit-action"] input').fill("staff.create")
    page.keyboard.press("Enter")
    page.locator('[data-test="audit-search"]').click()
    table = page.locator('[data-test="audit-table"]')
    row = table.locator("tbody tr", has_text=me["id"])
    expect(row).to_have_count(1)
    expect(row).to_contain_text("站长")
    actions = table.locator("tbody tr .action").all_inner_texts()
    assert actions and set(actions) == {"staff.create"}, actions
    screenshot(page, "admin-audit-1440")
    row.locator('[data-test="audit-detail"]').click()
    drawer = page.locator('[data-test="audit-drawer"]')
    expect(drawer.locator('[data-test="audit-after"]')).to_contain_text('"username": "xiaoqi"')
    expect(drawer.locator('[data-test="audit-after"]')).not_to_contain_text("password")
    screenshot(page, "admin-audit-detail-1440")


def test_an_agent_l1_sees_no_admin_and_is_refused(
    live_server: LiveServer, page_factory: PageFactory
) -> None:
    page = page_factory(viewport=DESKTOP)
    live_server.login(page, live_server.team.l1)
    page.goto(live_server.url("/console/admin/staff"))
    # The console sends the typed-in admin address back to the inbox.
    expect(page).to_have_url(live_server.url("/console/"))
    expect(page.locator('[data-test="nav-inbox"]')).to_be_visible()
    expect(page.locator('[data-test="admin-staff"]')).to_have_count(0)
    expect(page.locator('[data-test="nav-admin"]')).to_have_count(0)
    screenshot(page, "admin-denied-1440")
    for path in ("/api/v1/staff", "/api/v1/staff/roles", "/api/v1/audit"):
        refused = page.request.get(live_server.url(path))
        assert refused.status == 403, (path, refused.status)
        assert refused.json()["error"]["code"] == "permission_denied"
    created = page.request.post(
        live_server.url("/api/v1/staff"),
        data={"username": "sneaky", "password": NEW_PASSWORD, "display_name": "x", "role": "admin"},
        headers={
            "X-CSRF-Token": page.evaluate(
                "JSON.parse(sessionStorage.getItem('yiwen.console.session')).csrf_token"
            )
        },
    )
    assert created.status == 403


def test_an_sla_policy_edit_is_saved_and_shown_after_reload(
    live_server: LiveServer, page_factory: PageFactory
) -> None:
    page = admin_page(live_server, page_factory, "/console/admin/sla")
    policies = api_get(page, live_server, "/api/v1/admin/sla/policies")["items"]
    card = next(p for p in policies if (p["category"], p["priority"]) == ("card_invalid", "*"))
    resolution = page.locator(f'[data-test="policy-resolution-{card["id"]}"]')
    expect(resolution).to_have_text("1 小时")
    screenshot(page, "admin-sla-policies-1440")

    page.locator(f'[data-test="policy-edit-{card["id"]}"]').click()
    dialog = page.locator('[data-test="policy-dialog"]')
    field = dialog.locator('[data-test="policy-resolution"] input')
    field.fill("90")
    field.press("Tab")
    screenshot(page, "admin-sla-policy-edit-1440")
    dialog.locator('[data-test="policy-save"]').click()
    expect(page.locator(".el-message--success")).to_be_visible()
    page.reload()
    expect(resolution).to_have_text("1 小时 30 分钟")

    # The calendars tab, and a statutory calendar's upcoming days with their holidays.
    page.get_by_role("tab", name="工作日历").click()
    page.locator('[data-test="calendar-new"]').click()
    dialog = page.locator('[data-test="calendar-dialog"]')
    dialog.locator('[data-test="calendar-name"]').fill("白班")
    dialog.locator('[data-test="calendar-save"]').click()
    expect(page.locator('[data-test="calendars-table"]')).to_contain_text("白班")
    screenshot(page, "admin-sla-calendars-1440")
    page.locator('[data-test="calendar-preview-白班"]').click()
    preview = page.locator('[data-test="calendar-preview"]')
    expect(preview.locator("tbody tr")).to_have_count(45)
    expect(preview).to_contain_text("休息")
    screenshot(page, "admin-sla-calendar-preview-1440")


def test_a_category_queue_is_changed_inline_and_routing_screens_show(
    live_server: LiveServer, page_factory: PageFactory
) -> None:
    page = admin_page(live_server, page_factory, "/console/admin/categories")
    queues = api_get(page, live_server, "/api/v1/admin/routing/queues")
    target = next(q for q in queues if q["key"] == "finance_l2")
    select = page.locator('[data-test="category-queue-presale"]')
    expect(select).to_be_visible()
    expect(page.locator('[data-test="category-policy-card_invalid"]')).not_to_contain_text(
        "系统默认"
    )
    screenshot(page, "admin-categories-1440")
    pick(page, "category-queue-presale", target["name"])
    expect(page.locator(".el-message--success")).to_contain_text(target["name"])
    mapped = {
        r["category"]: r["queue"]
        for r in api_get(page, live_server, "/api/v1/admin/routing/category-map")
    }
    assert mapped["presale"] == "finance_l2"
    page.reload()
    expect(select).to_contain_text(target["name"])

    page.locator('[data-test="admin-nav-admin-routing"]').click()
    queues_table = page.locator('[data-test="queues-table"]')
    expect(queues_table.locator("tbody tr", has_text=target["name"])).to_contain_text("售前咨询")
    screenshot(page, "admin-routing-queues-1440")
    page.get_by_role("tab", name="客服档案").click()
    page.locator('[data-test="agent-edit-l1"]').click()
    dialog = page.locator('[data-test="agent-dialog"]')
    dialog.get_by_text("技术", exact=True).click()
    dialog.locator('[data-test="agent-save"]').click()
    expect(page.locator(".el-message--success")).to_be_visible()
    expect(
        page.locator('[data-test="agents-table"] tbody tr', has_text="客服小一")
    ).to_contain_text("技术")
    screenshot(page, "admin-routing-agents-1440")
