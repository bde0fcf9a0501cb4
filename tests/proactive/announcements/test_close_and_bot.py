"""Closing an announcement fixes its orders once; the banner and the bot show it while active."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.bot.conftest import Chat
from tests.factories import StaffTeam, login_headers
from tests.proactive.announcements.conftest import (
    SUPPLIER,
    notices,
    open_orders,
    qq_buyers,
    system_messages,
)
from yiwen.auth.audit import AuditEntry
from yiwen.conversations.access import sign_shop_token
from yiwen.core.clock import FixedClock
from yiwen.core.db import Database
from yiwen.core.settings import Settings
from yiwen.proactive.announcements.models import AnnouncementOrder
from yiwen.store.connectors.demo.connector import DemoStoreConnector
from yiwen.store.connectors.demo.models import UpstreamPushRow
from yiwen.tickets.models import Ticket

FORM = {
    "title": f"{SUPPLIER}充值延迟",
    "body": "某供应商充值延迟，预计30分钟内恢复",
    "scope": "supplier",
    "scope_value": SUPPLIER,
}


def push_count(demo: DemoStoreConnector, order_nos: list[str]) -> int:
    with demo.shop.database.reading() as db:
        return int(
            db.scalar(select(func.count()).where(UpstreamPushRow.order_no.in_(order_nos))) or 0
        )


@pytest.mark.usefixtures("push_qq")
def test_closing_twice_repushes_each_affected_order_once_and_tells_customers_once(
    client: TestClient,
    database: Database,
    clock: FixedClock,
    demo: DemoStoreConnector,
    team: StaffTeam,
) -> None:
    buyers = qq_buyers(database, clock, demo, 2)
    boss = login_headers(client, "supervisor")
    announcement_id = client.post("/api/v1/announcements", json=FORM, headers=boss).json()["id"]
    client.post(f"/api/v1/announcements/{announcement_id}/notices", headers=boss)
    affected = sorted(o.order_no for o in open_orders(demo, clock))
    before = push_count(demo, affected)

    first = client.post(
        f"/api/v1/announcements/{announcement_id}/close",
        json={"resolution_text": "通道已恢复。"},
        headers=boss,
    )
    second = client.post(f"/api/v1/announcements/{announcement_id}/close", json={}, headers=boss)
    assert first.status_code == second.status_code == 200, first.text
    counts = second.json()["counts"]

    with database.reading() as db:
        rows = list(
            db.scalars(
                select(AnnouncementOrder).where(
                    AnnouncementOrder.announcement_id == announcement_id
                )
            )
        )
        repushes = list(db.scalars(select(AuditEntry).where(AuditEntry.action == "order.repush")))
        reviews = list(
            db.scalars(
                select(Ticket).where(Ticket.id.in_([r.ticket_id for r in rows if r.ticket_id]))
            )
        )
        db.expunge_all()
    assert sorted(r.order_no for r in rows) == affected
    repushed = [r for r in rows if r.action == "repushed"]
    assert counts["repushed"] == len(repushed) and counts["review"] == len(reviews)
    assert len(repushed) + len(reviews) == len(affected)
    # One new push per re-pushed order, however often the close ran.
    assert push_count(demo, affected) == before + len(repushed)
    assert len(repushes) == len(repushed)
    assert all(t.priority == "high" and t.category == "delivery_missing" for t in reviews)
    for buyer in buyers:
        texts = system_messages(database, buyer.conversation_id)
        assert len(texts) == 2 and "已恢复" in texts[1] and "通道已恢复" in texts[1]
    assert {n.resolved_status for n in notices(database, announcement_id)} <= {
        "sent",
        "unreachable",
        "skipped_opt_out",
    }
    assert counts["fixed_sent"] == sum(
        1 for n in notices(database, announcement_id) if n.resolved_status == "sent"
    )

    refused = client.post(f"/api/v1/announcements/{announcement_id}/notices", headers=boss)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "announcement_closed"


def test_the_banner_lists_active_announcements_only(client: TestClient, team: StaffTeam) -> None:
    boss = login_headers(client, "supervisor")
    created = client.post(
        "/api/v1/announcements", json={**FORM, "body": "<img src=x onerror=alert(1)>"}, headers=boss
    )
    banner = client.get("/api/v1/public/announcements")
    assert banner.status_code == 200
    assert "max-age" in banner.headers["cache-control"]
    [item] = banner.json()["items"]
    assert item["title"] == FORM["title"] and item["body"] == "<img src=x onerror=alert(1)>"
    client.post(f"/api/v1/announcements/{created.json()['id']}/close", json={}, headers=boss)
    assert client.get("/api/v1/public/announcements").json()["items"] == []


def start_as_shop_user(
    client: TestClient, settings: Settings, clock: FixedClock, shop_user_id: str
) -> Chat:
    token = sign_shop_token(
        settings.resolved_shop_token_secret(), shop_user_id, int(clock.now().timestamp()) + 3600
    )
    headers = {"X-Shop-Token": token}
    response = client.post("/api/v1/customer/conversations", json={}, headers=headers)
    assert response.status_code == 201, response.text
    chat = Chat(client, response.json()["conversation"]["id"], headers)
    chat.new_messages()
    return chat


def test_the_bot_answers_a_delivery_question_with_the_matching_announcement_once(
    client: TestClient,
    settings: Settings,
    clock: FixedClock,
    demo: DemoStoreConnector,
    team: StaffTeam,
) -> None:
    boss = login_headers(client, "supervisor")
    assert client.post("/api/v1/announcements", json=FORM, headers=boss).status_code == 201
    affected = next(o for o in open_orders(demo, clock) if o.shop_user_id)
    other = next(
        o
        for o in open_orders(demo, clock, "云端游戏")
        if o.shop_user_id and o.shop_user_id != affected.shop_user_id
    )

    chat = start_as_shop_user(client, settings, clock, affected.shop_user_id or "")
    replies = chat.say(f"订单 {affected.order_no} 充值还没到账")
    assert any("预计30分钟内恢复" in r for r in replies)
    assert any(
        affected.order_no in r and "预计30分钟内恢复" not in r for r in replies
    )  # the SOP too
    again = chat.say("还是没到账啊")
    assert not any("预计30分钟内恢复" in r for r in again)

    unaffected = start_as_shop_user(client, settings, clock, other.shop_user_id or "")
    assert not any("预计30分钟内恢复" in r for r in unaffected.say(f"订单 {other.order_no} 没到账"))
