"""The console's customer history across channels and WeChat's 48-hour reply window.

A customer writes on WeChat (a wechatpy-encrypted push, safe mode, through the live
server's real endpoint, as tests/channels/wechat does), then by email (handed over
as the email adapter does after fetching it; the IMAP fetch itself is tested in
tests/channels/email), and proves the address with the one-time code: the console
shows one history with both channels. Two days later the window is shown closed.
Own module: the test moves the live server's clock.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
from playwright.sync_api import expect
from sqlalchemy import select

from tests.channels.wechat.peer import AES_KEY, APP_ID, APP_SECRET, TOKEN, WechatServer
from tests.identity.helpers import inbound, make_account, sent_code
from tests.support.browser import LiveServer, PageFactory, screenshot
from yiwen.auth.audit import Actor
from yiwen.channels.accounts import create_account
from yiwen.conversations.models import Conversation
from yiwen.identity import codes

DESKTOP = (1440, 900)


def test_a_customer_from_wechat_who_continues_by_email_shows_as_one_history(
    live_server: LiveServer, page_factory: PageFactory
) -> None:
    database, clock, settings = live_server.database, live_server.clock, live_server.settings
    with database.transaction() as db:
        account = create_account(
            db,
            clock,
            settings,
            channel="wechat",
            name="公众号",
            config={"app_id": APP_ID, "encrypt_mode": "safe", "api_base": "http://127.0.0.1:9"},
            secrets={"token": TOKEN, "encoding_aes_key": AES_KEY, "app_secret": APP_SECRET},
            actor=Actor.system(),
        )
        wechat_account = account.id
    mailbox = make_account(database, clock, settings, "email")  # type: ignore[arg-type]
    platform = WechatServer()
    with httpx.Client(base_url=live_server.base_url, timeout=60) as http:
        xml = platform.text("oOPENID-history", "卡密没收到，订单 123", "wx-history-1")
        pushed = platform.push(http, wechat_account, xml, safe=True)  # type: ignore[arg-type]
    assert pushed.status_code == 200, pushed.text
    with database.reading() as db:
        on_wechat = db.scalars(
            select(Conversation).where(Conversation.channel_account_id == wechat_account)
        ).one()
        wechat_conversation, wechat_customer = on_wechat.id, on_wechat.customer_id
    by_email = inbound(
        database,
        clock,
        settings,
        mailbox,
        "li.lei@example.com",
        "<h1@example.com>",
        "还是没收到",  # type: ignore[arg-type]
    )
    with database.transaction() as db:
        sent = codes.send_code(
            db, clock, settings, customer_id=wechat_customer, contact="li.lei@example.com"
        )
        attempt = sent.attempt.id
    _kind, _to, code = sent_code(database, attempt)
    with database.transaction() as db:
        checked = codes.check_code(
            db, clock, settings, customer_id=wechat_customer, attempt_id=attempt, code=code
        )
        assert checked.outcome == "confirmed"

    page = page_factory(viewport=DESKTOP)
    # The agent's PC is a month ahead: countdowns must still run on the server's clock.
    page.clock.set_system_time(datetime(2027, 1, 1, tzinfo=UTC))
    live_server.login(page, live_server.team.l2)
    page.goto(live_server.url(f"/console/c/{by_email.conversation_id}"))
    page.get_by_role("tab", name="历史").click()
    history = page.locator('[data-test="customer-history"]')
    email_row = history.locator('[data-test="history-email"]')
    expect(email_row).to_contain_text("当前")
    expect(email_row.locator(".icon")).to_have_text("@")
    wechat_row = history.locator('[data-test="history-wechat"]')
    expect(wechat_row).to_be_visible()
    expect(wechat_row.locator(".icon")).to_have_text("微")
    screenshot(page, "console-history-1440")

    wechat_row.click()
    expect(page).to_have_url(live_server.url(f"/console/c/{wechat_conversation}"))
    expect(page.locator('[data-test="wechat-window-open"]')).to_contain_text(
        re.compile(r"还剩 47 h 5\d min")
    )

    clock.advance(timedelta(hours=49))
    live_server.login(page, live_server.team.l2)  # the staff session lapsed meanwhile
    page.goto(live_server.url(f"/console/c/{wechat_conversation}"))
    closed = page.locator('[data-test="wechat-window-closed"]')
    expect(closed).to_contain_text("已超过 48 小时，顾客需再次发消息后才能回复")
    screenshot(page, "console-wechat-window-closed-1440")
