"""Legal holds: what keeps an old, finished conversation out of the archive."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from fastapi.testclient import TestClient

from tests.factories import StaffTeam, login_headers
from tests.retention.conftest import (
    ADMIN_API,
    Thread,
    admin_headers,
    audit_of,
    customer_writes,
    enable_policy,
    settle,
)
from yiwen.auth.audit import Actor
from yiwen.bot.models import BotFollowup
from yiwen.complaints.models import ExternalComplaint
from yiwen.conversations.models import Conversation
from yiwen.core.clock import FixedClock
from yiwen.core.db import Database
from yiwen.core.settings import Settings
from yiwen.retention.service import run_retention
from yiwen.sla.models import SlaCompensation
from yiwen.tickets.models import Ticket
from yiwen.workspace.models import OrderAction


def archived(database: Database, thread: Thread) -> bool:
    with database.reading() as db:
        conversation = db.get(Conversation, thread.conversation_id)
        assert conversation is not None
        return conversation.archived_at is not None


def customer_of(database: Database, thread: Thread) -> str:
    with database.reading() as db:
        conversation = db.get(Conversation, thread.conversation_id)
        assert conversation is not None
        return conversation.customer_id


def test_each_legal_hold_keeps_its_conversation_live(
    client: TestClient, team: StaffTeam, database: Database, clock: FixedClock, settings: Settings
) -> None:
    free = customer_writes(client, "卡密没到")
    settle(database, clock, team, free)
    awaiting_confirmation = customer_writes(client, "充值没到")
    settle(database, clock, team, awaiting_confirmation, close_ticket=False)
    unpaid = customer_writes(client, "超时了要补偿")
    settle(database, clock, team, unpaid)
    refunding = customer_writes(client, "我要退款")
    settle(database, clock, team, refunding)
    repushed = customer_writes(client, "上游重推了吗")
    settle(database, clock, team, repushed)
    complained = customer_writes(client, "我要去12315投诉")
    settle(database, clock, team, complained)
    litigated = customer_writes(client, "律师函")
    settle(database, clock, team, litigated)
    now = clock.now()
    with database.transaction() as db:
        db.add(
            SlaCompensation(
                ticket_id=unpaid.ticket_id,
                amount=Decimal("5.00"),
                idempotency_key=f"comp-{unpaid.ticket_id}",
                status="pending",
                attempts=3,
                created_at=now,
            )
        )
        db.add(
            OrderAction(
                idempotency_key=f"refund-{refunding.ticket_id}",
                action="refund",
                order_no="K7Q2M9X4T1B8",
                amount=Decimal("30.00"),
                ticket_id=refunding.ticket_id,
                actor_type="staff",
                actor_id=team.finance.id,
                status="processing",
                reference="R-1",
                created_at=now,
            )
        )
        db.add(
            BotFollowup(
                conversation_id=repushed.conversation_id,
                order_no="K7Q2M9X4T1B9",
                kind="repush",
                due_at=now + timedelta(minutes=10),
                created_at=now,
            )
        )
        db.add(
            ExternalComplaint(
                platform="12315",
                external_ref="12315-2026-0001",
                text="付款后未发货",
                source="form",
                customer_id=customer_of(database, complained),
                ticket_id=complained.ticket_id,
                # The platform's deadline comes after the archive cutoff.
                external_deadline=now + timedelta(days=365),
                created_at=now,
            )
        )
    admin = admin_headers(client)
    placed = client.post(
        f"{ADMIN_API}/holds",
        json={
            "customer_id": customer_of(database, litigated),
            "reason": "诉讼保全（2026 民初 123 号）",
        },
        headers=admin,
    )
    assert placed.status_code == 201, placed.text
    clock.advance(timedelta(days=200))
    admin = admin_headers(client)
    enable_policy(client, admin, archive_after_days=180)

    preview = client.post(f"{ADMIN_API}/preview", headers=admin).json()
    report = run_retention(database, clock, settings, actor=Actor.system())

    assert preview["held"] == {
        "open_ticket": 1,
        "recent_ticket_activity": 0,
        "compensation_pending": 1,
        "money_in_flight": 2,
        "complaint_open": 1,
        "customer_hold": 1,
    }
    assert report.conversations == 1 and preview["conversations"] == 1
    assert archived(database, free)
    for kept in (awaiting_confirmation, unpaid, refunding, repushed, complained, litigated):
        assert not archived(database, kept)

    # Released, the held customer's conversation goes at the next run; both acts are audited.
    [hold] = client.get(f"{ADMIN_API}/holds", headers=admin).json()
    assert client.delete(f"{ADMIN_API}/holds/{hold['id']}", headers=admin).status_code == 204
    assert run_retention(database, clock, settings, actor=Actor.system()).conversations == 1
    assert archived(database, litigated)
    actions = [e["action"] for e in audit_of(database, "retention.*")]
    assert "retention.hold_placed" in actions and "retention.hold_released" in actions


def test_a_ticket_worked_recently_keeps_an_old_conversation(
    client: TestClient, team: StaffTeam, database: Database, clock: FixedClock, settings: Settings
) -> None:
    thread = customer_writes(client, "卡密没到")
    settle(database, clock, team, thread)
    clock.advance(timedelta(days=200))
    with database.transaction() as db:
        ticket = db.get(Ticket, thread.ticket_id)
        assert ticket is not None
        ticket.updated_at = clock.now() - timedelta(days=3)
    enable_policy(client, admin_headers(client), archive_after_days=180)

    report = run_retention(database, clock, settings, actor=Actor.system())

    assert report.conversations == 0
    assert report.held["recent_ticket_activity"] == 1


def test_holds_need_a_reason_and_the_retention_permission(
    client: TestClient, team: StaffTeam, database: Database
) -> None:
    thread = customer_writes(client, "你好")
    customer_id = customer_of(database, thread)
    admin = admin_headers(client)
    empty = client.post(
        f"{ADMIN_API}/holds", json={"customer_id": customer_id, "reason": "  "}, headers=admin
    )
    assert empty.status_code == 422
    assert empty.json()["error"]["message"] == "请填写保全原因（例如：诉讼、监管调查）"
    unknown = client.post(
        f"{ADMIN_API}/holds", json={"customer_id": "nobody", "reason": "诉讼"}, headers=admin
    )
    assert unknown.status_code == 404
    agent = client.post(
        f"{ADMIN_API}/holds",
        json={"customer_id": customer_id, "reason": "诉讼"},
        headers=login_headers(client, "l2"),
    )
    assert agent.status_code == 403
    assert client.get(f"{ADMIN_API}/holds", headers=admin).json() == []
