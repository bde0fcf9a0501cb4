"""With an agent online but busy, the widget shows the customer's place and an estimated wait.

A module of its own: it changes who is online, which the other widget tests
must not see.
"""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import expect

from tests.e2e.test_widget import PHONE, open_widget, say, stored_session
from tests.factories import make_staff
from tests.support.browser import BOT_WAIT, LiveServer, PageFactory, screenshot
from yiwen.auth.audit import Actor
from yiwen.auth.models import StaffUser
from yiwen.routing.pool import AgentPool
from yiwen.routing.presence import set_presence, update_profile


def test_a_customer_waiting_for_a_busy_agent_sees_place_and_estimated_wait(
    live_server: LiveServer, page_factory: PageFactory
) -> None:
    database, clock = live_server.database, live_server.clock
    agent = make_staff(database, clock, "agent_l1", username="eta-agent")
    with database.transaction() as db:
        update_profile(db, clock, agent.id, actor=Actor.system(), capacity=1)
        set_presence(db, clock, db.get(StaffUser, agent.id), "online")

    # Another customer asks for a person first: the agent's only seat is taken.
    with httpx.Client(base_url=live_server.base_url, timeout=60) as other:
        started = other.post("/api/v1/customer/conversations", json={}).json()
        first = other.post(
            f"/api/v1/customer/conversations/{started['conversation']['id']}/messages",
            json={"client_msg_id": "eta-1", "body": "转人工"},
            headers={"X-Conversation-Token": started["token"]},
        )
        assert first.status_code == 201, first.text
    with database.reading() as db:
        load = AgentPool.load(db, clock.now()).seats[agent.id].load
    # Taken by the first work waiting when the agent came online (this customer's, or a
    # stuck order the proactive-care job handed to people).
    assert load == 1

    page = page_factory(viewport=PHONE)
    open_widget(page, live_server)
    say(page, "转人工")
    banner = page.locator(".banner.queue")
    expect(banner).to_be_visible(timeout=BOT_WAIT)
    expect(banner).to_contain_text(re.compile(r"排第 \d+ 位，预计等待约 \d+ 分钟"))
    # The figure on screen is the server's own estimate for this conversation.
    session = stored_session(page)
    place = httpx.get(
        live_server.url(f"/api/v1/customer/conversations/{session['conversationId']}/queue"),
        headers={"X-Conversation-Token": session["token"]},
        timeout=30,
    ).json()
    assert place["position"] >= 1 and place["estimated_wait_minutes"] is not None
    expect(banner).to_contain_text(
        f"排第 {place['position']} 位，预计等待约 {max(1, place['estimated_wait_minutes'])} 分钟"
    )
    screenshot(page, "widget-queue-eta-360")
