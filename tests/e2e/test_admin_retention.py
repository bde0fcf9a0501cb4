"""The retention admin screen in a real browser: the policy starts off, the preview counts
what would go, saving asks for confirmation, and an archived transcript can be read back.
An agent does not see the screen.
"""

from __future__ import annotations

from datetime import timedelta

import httpx
import sqlalchemy as sa
from playwright.sync_api import expect

from tests.support.browser import LiveServer, PageFactory, screenshot
from yiwen.auth.audit import Actor
from yiwen.conversations.models import Conversation
from yiwen.retention.policy import get_policy
from yiwen.retention.service import run_retention
from yiwen.tickets.models import Ticket

DESKTOP = (1440, 900)


def old_closed_conversation(server: LiveServer, body: str) -> str:
    """A customer's conversation, then made a finished case of over a year ago."""
    with httpx.Client(base_url=server.base_url, timeout=90) as customer:
        started = customer.post("/api/v1/customer/conversations", json={})
        assert started.status_code == 201, started.text
        conversation_id: str = started.json()["conversation"]["id"]
        sent = customer.post(
            f"/api/v1/customer/conversations/{conversation_id}/messages",
            json={"client_msg_id": "c-1", "body": body},
            headers={"X-Conversation-Token": started.json()["token"]},
        )
        assert sent.status_code == 201, sent.text
    # The message's reactions and the bot's answer update the conversation: let them
    # finish before it is aged, or they would make it recent again.
    server.settle(conversation_id)
    long_ago = server.clock.now() - timedelta(days=400)
    with server.database.transaction() as db:
        db.execute(
            sa.update(Conversation)
            .where(Conversation.id == conversation_id)
            .values(status="closed", last_message_at=long_ago)
        )
        db.execute(
            sa.update(Ticket)
            .where(Ticket.conversation_id == conversation_id)
            .values(status="closed", updated_at=long_ago)
        )
    return conversation_id


def test_an_admin_previews_enables_and_reads_an_archive(
    live_server: LiveServer, page_factory: PageFactory
) -> None:
    conversation_id = old_closed_conversation(live_server, "去年买的点卡一直没到账，订单 D2025")
    page = page_factory(viewport=DESKTOP)
    live_server.login(page, live_server.team.admin)
    page.goto(live_server.url("/console/admin/retention"))
    expect(page.locator('[data-test="admin-menu"]')).to_contain_text("数据保留")
    screen = page.locator('[data-test="admin-retention"]')
    expect(screen).to_contain_text("未启用：不会归档或删除任何数据")

    page.locator('[data-test="retention-preview"]').click()
    expect(page.locator('[data-test="retention-archive-line"]')).to_contain_text("归档 1 个会话")

    page.locator('[data-test="retention-enabled"]').click()
    page.locator('[data-test="retention-save"]').click()
    dialog = page.locator(".el-message-box")
    expect(dialog).to_contain_text("归档记录永久保留")
    dialog.locator(".el-button--primary").click()
    expect(page.locator(".el-message--success")).to_contain_text("策略已保存")
    with live_server.database.reading() as db:
        assert get_policy(db).enabled is True

    report = run_retention(
        live_server.database, live_server.clock, live_server.settings, actor=Actor.system()
    )
    assert report.conversations >= 1
    page.locator('input[data-test="archive-id"]').fill(conversation_id)
    page.locator('[data-test="archive-open"]').click()
    transcript = page.locator('[data-test="archive-transcript"]')
    expect(transcript).to_contain_text("去年买的点卡一直没到账")
    page.wait_for_timeout(350)
    screenshot(page, "admin-retention")


def test_an_agent_does_not_see_the_retention_screen(
    live_server: LiveServer, page_factory: PageFactory
) -> None:
    page = page_factory(viewport=DESKTOP)
    live_server.login(page, live_server.team.l2)
    page.goto(live_server.url("/console/admin"))
    expect(page.locator("body")).not_to_contain_text("数据保留")
