"""Retention is tested on conversations built the way customers and agents build them.

Customers write and upload through the public HTTP API; an agent answers,
resolves and closes the ticket through the services the console calls; then the
clock moves a year on and the retention run works on the real database and
real files under the test's data directory.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from tests.factories import StaffTeam, login_headers
from yiwen.auth.audit import Actor, list_audit
from yiwen.conversations.models import Conversation
from yiwen.core.clock import FixedClock
from yiwen.core.db import Database
from yiwen.core.settings import Settings
from yiwen.tickets import service as tickets
from yiwen.tickets.models import Ticket
from yiwen.workspace.service import reply_to_ticket

BASE = "/api/v1/customer"
ADMIN_API = "/api/v1/admin/retention"
# A tiny but real PNG header: the upload sniffer judges files by their bytes.
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(64))


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Without the bot, a conversation holds exactly what the test wrote."""
    return settings.model_copy(update={"bot_enabled": False})


@dataclass
class Thread:
    conversation_id: str
    auth: dict[str, str]
    attachment_ids: list[str]
    ticket_id: str | None = None


def customer_writes(
    client: TestClient, *bodies: str, files: tuple[bytes, ...] = (), contact: str | None = None
) -> Thread:
    """A new conversation; ``files`` are uploaded and sent with the first message."""
    started = client.post(f"{BASE}/conversations", json={"contact": contact} if contact else {})
    assert started.status_code == 201, started.text
    data = started.json()
    auth = {"X-Conversation-Token": data["token"]}
    conversation_id = data["conversation"]["id"]
    uploaded: list[str] = []
    for n, content in enumerate(files):
        response = client.post(
            f"{BASE}/conversations/{conversation_id}/attachments",
            files={"file": (f"凭证{n}.png", content, "image/png")},
            headers=auth,
        )
        assert response.status_code == 201, response.text
        uploaded.append(response.json()["id"])
    for n, body in enumerate(bodies):
        sent = client.post(
            f"{BASE}/conversations/{conversation_id}/messages",
            json={
                "client_msg_id": f"m{n}",
                "body": body,
                "attachment_ids": uploaded if n == 0 else [],
            },
            headers=auth,
        )
        assert sent.status_code == 201, sent.text
    return Thread(conversation_id, auth, uploaded)


def settle(
    database: Database,
    clock: FixedClock,
    team: StaffTeam,
    thread: Thread,
    *,
    close_ticket: bool = True,
    score: int | None = 5,
) -> str:
    """An agent answers in a ticket, resolves it, the customer rates it; the case is closed."""
    with database.transaction() as db:
        conversation = db.get(Conversation, thread.conversation_id)
        assert conversation is not None
        agent = team.l1
        ticket = tickets.open_ticket(
            db,
            clock,
            tickets.NewTicket(
                customer_id=conversation.customer_id,
                channel=conversation.channel,
                category="delivery_missing",
                subject="卡密没收到",
                conversation_id=conversation.id,
            ),
            actor=Actor.staff(agent),
            prefix="T",
        )
        clock.advance(timedelta(minutes=7))
        reply_to_ticket(db, clock, ticket, agent, "您好，已为您补发卡密，请查收。", max_chars=2000)
        clock.advance(timedelta(minutes=30))
        tickets.resolve_ticket(db, clock, ticket, actor=Actor.staff(agent), note="已补发")
        if score is not None:
            tickets.rate_ticket(
                db,
                clock,
                ticket,
                score=score,
                comment="很快",
                actor=Actor.customer(ticket.customer_id),
            )
        if close_ticket:
            tickets.change_status(db, clock, ticket, "closed", actor=Actor.system())
        conversation.status = "closed"
        thread.ticket_id = ticket.id
        return ticket.id


def admin_headers(client: TestClient) -> dict[str, str]:
    return login_headers(client, "admin")


def enable_policy(
    client: TestClient,
    headers: dict[str, str],
    *,
    archive_after_days: int = 180,
    purge_after_days: int | None = None,
    batch_size: int = 200,
) -> None:
    response = client.put(
        ADMIN_API,
        json={
            "enabled": True,
            "archive_after_days": archive_after_days,
            "purge_after_days": purge_after_days,
            "batch_size": batch_size,
        },
        headers=headers,
    )
    assert response.status_code == 200, response.text


def ticket_of(database: Database, ticket_id: str) -> Ticket:
    with database.reading() as db:
        ticket = db.get(Ticket, ticket_id)
        assert ticket is not None
        db.expunge(ticket)
        return ticket


def audit_of(database: Database, action: str) -> list[dict[str, object]]:
    """Audit entries for ``action`` (``retention.*`` for all), newest first, as plain values."""
    with database.reading() as db:
        entries, _ = list_audit(db, action=action, limit=200)
        return [
            {
                "action": e.action,
                "actor_type": e.actor_type,
                "actor_id": e.actor_id,
                "target_type": e.target_type,
                "target_id": e.target_id,
                "before": e.before,
                "after": e.after,
            }
            for e in entries
        ]
