"""The fast intake and the message pipeline (``message_reactions = "deferred"``).

A customer's text message is stored and acknowledged first; its reactions (SLA
clock, search index, the realtime event, the bot) follow in the pipeline. These
tests stop the app's pipeline thread and run its passes themselves, so that they
can look at the moment between the two.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event as sa_event
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from yiwen.conversations.models import Conversation, Message
from yiwen.conversations.pipeline import MAX_ATTEMPTS, run_pending, sweep_pending
from yiwen.core.clock import FixedClock
from yiwen.core.db import Database
from yiwen.core.events import DomainEvent, bus
from yiwen.routing.models import QueueEntry
from yiwen.search.service import search
from yiwen.sla.models import TicketSla
from yiwen.tickets.models import Ticket

BASE = "/api/v1/customer"


pytestmark = pytest.mark.deferred_reactions(pipeline="manual")


@pytest.fixture
def published() -> Iterator[list[dict[str, object]]]:
    """Every committed ``message.created`` event's message, in publication order."""
    seen: list[dict[str, object]] = []

    def listen(event: DomainEvent) -> None:
        message = event.payload.get("message")
        if isinstance(message, dict):
            seen.append(message)

    bus.subscribe("message.created", listen)
    yield seen
    bus.unsubscribe("message.created", listen)


def start(client: TestClient) -> tuple[str, dict[str, str]]:
    data = client.post(f"{BASE}/conversations", json={}).json()
    return data["conversation"]["id"], {"X-Conversation-Token": data["token"]}


def open_ticket(client: TestClient, database: Database) -> tuple[str, dict[str, str], str]:
    """A portal-form ticket: its conversation is with the humans and has an SLA clock."""
    response = client.post(
        f"{BASE}/tickets",
        json={
            "category": "other",
            "description": "王者荣耀点券没到账，订单 K100200300400",
            "demand": "explain",
            "contact": "buyer@example.com",
        },
    )
    assert response.status_code == 201, response.text
    data = response.json()
    conversation_id = data["conversation"]["id"]
    with database.reading() as db:
        ticket_id = db.scalar(select(Ticket.id).where(Ticket.conversation_id == conversation_id))
    assert ticket_id is not None
    return conversation_id, {"X-Conversation-Token": data["token"]}, ticket_id


def say(
    client: TestClient, conversation_id: str, auth: dict[str, str], msg_id: str, body: str
) -> httpx.Response:
    return client.post(
        f"{BASE}/conversations/{conversation_id}/messages",
        json={"client_msg_id": msg_id, "body": body},
        headers=auth,
    )


def pending(db: Session) -> int:
    return int(
        db.scalar(select(func.count()).select_from(Message).where(Message.reactions_pending)) or 0
    )


def test_a_message_is_stored_and_acknowledged_before_its_reactions_run(
    client: TestClient, database: Database, clock: FixedClock, published: list[dict[str, object]]
) -> None:
    conversation_id, auth, ticket_id = open_ticket(client, database)
    run_pending(database, clock)
    with database.transaction() as db:  # the agent answered: no reply owed any more
        db.execute(
            update(TicketSla)
            .where(TicketSla.ticket_id == ticket_id)
            .values(first_response_due_at=None, next_response_due_at=None)
        )
    published.clear()

    response = say(client, conversation_id, auth, "m-1", "已经两个小时了，麒麟点券还没到账")
    assert response.status_code == 201, response.text
    stored = response.json()
    assert stored["sender_type"] == "customer"
    listed = client.get(f"{BASE}/conversations/{conversation_id}/messages", headers=auth).json()
    assert [m["id"] for m in listed["items"]][-1] == stored["id"]
    with database.reading() as db:
        assert pending(db) == 1
        assert db.get_one(TicketSla, ticket_id).next_response_due_at is None
        assert search(db, "麒麟", kind="message")[0] == []
        conversation = db.get_one(Conversation, conversation_id)
        assert conversation.last_message_preview != "已经两个小时了，麒麟点券还没到账"
        unread = conversation.unread_for_staff
    assert published == []

    assert run_pending(database, clock) == 1
    with database.reading() as db:
        assert pending(db) == 0
        conversation = db.get_one(Conversation, conversation_id)
        assert conversation.last_message_preview == "已经两个小时了，麒麟点券还没到账"
        assert conversation.unread_for_staff == unread + 1
        assert db.get_one(TicketSla, ticket_id).next_response_due_at is not None
        assert [hit.message_id for hit in search(db, "麒麟", kind="message")[0]] == [stored["id"]]
    assert [m["id"] for m in published] == [stored["id"]]
    assert run_pending(database, clock) == 0  # nothing runs twice
    assert len(published) == 1


def test_a_resend_answers_the_first_copy_and_other_text_is_a_conflict(
    client: TestClient, database: Database
) -> None:
    conversation_id, auth = start(client)
    first = say(client, conversation_id, auth, "m-1", "卡密无效")
    again = say(client, conversation_id, auth, "m-1", "卡密无效")
    other = say(client, conversation_id, auth, "m-1", "另一句话")
    assert (first.status_code, again.status_code, other.status_code) == (201, 200, 409)
    assert again.json()["id"] == first.json()["id"]
    assert other.json()["error"]["code"] == "client_msg_id_reused"
    with database.reading() as db:
        assert db.scalar(select(func.count()).select_from(Message)) == 1


def test_copies_sent_at_the_same_moment_are_stored_once(
    app: FastAPI, client: TestClient, database: Database, clock: FixedClock
) -> None:
    """Many requests for one (conversation, client_msg_id) land in one or several batches;
    exactly one is 201, every other answers that message."""
    conversation_id, _auth = start(client)
    intake = app.state.intake

    async def burst() -> list[object]:
        jobs = [intake.submit(conversation_id, "充值失败", "same") for _ in range(20)]
        jobs += [intake.submit(conversation_id, f"第{n}条", f"m-{n}") for n in range(20)]
        return list(await asyncio.gather(*jobs))

    results = asyncio.run(burst())
    copies = results[:20]
    assert sum(1 for r in copies if r.created) == 1  # type: ignore[attr-defined]
    assert len({r.message["id"] for r in copies}) == 1  # type: ignore[attr-defined]
    assert all(r.created for r in results[20:])  # type: ignore[attr-defined]
    while run_pending(database, clock):
        pass
    with database.reading() as db:
        assert db.scalar(select(func.count()).select_from(Message)) == 21
        conversation = db.get_one(Conversation, conversation_id)
        assert conversation.unread_for_staff == 21


def test_a_closed_conversation_takes_no_message_but_answers_a_resend(
    client: TestClient, database: Database
) -> None:
    conversation_id, auth = start(client)
    assert say(client, conversation_id, auth, "m-1", "在吗").status_code == 201
    with database.transaction() as db:
        db.execute(
            update(Conversation).where(Conversation.id == conversation_id).values(status="closed")
        )
    assert say(client, conversation_id, auth, "m-1", "在吗").status_code == 200
    refused = say(client, conversation_id, auth, "m-2", "还有人吗")
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "conversation_closed"


def test_a_resolved_conversation_reopens_when_the_customer_writes(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    conversation_id, auth = start(client)
    with database.transaction() as db:
        db.execute(
            update(Conversation).where(Conversation.id == conversation_id).values(status="resolved")
        )
    assert say(client, conversation_id, auth, "m-1", "又没到账了").status_code == 201
    run_pending(database, clock)
    with database.reading() as db:
        assert db.get_one(Conversation, conversation_id).status == "waiting"


def test_tokens_open_only_their_own_conversation(client: TestClient) -> None:
    mine, auth = start(client)
    other, _ = start(client)
    assert say(client, other, auth, "m-1", "你好").status_code == 404
    bad = say(client, mine, {"X-Conversation-Token": "not-a-token"}, "m-1", "你好")
    assert bad.status_code == 401
    assert bad.json()["error"]["code"] == "customer_token_invalid"
    empty = say(client, mine, auth, "m-2", "   ")
    assert empty.status_code == 422
    assert empty.json()["error"]["code"] == "message_empty"


def test_reactions_run_in_order_within_each_conversation(
    client: TestClient, database: Database, clock: FixedClock, published: list[dict[str, object]]
) -> None:
    conversations = [start(client) for _ in range(3)]
    sent: dict[str, list[int]] = {}
    for n in range(4):
        for conversation_id, auth in conversations:
            stored = say(client, conversation_id, auth, f"m-{n}", f"第{n}次催")
            sent.setdefault(conversation_id, []).append(stored.json()["id"])
    assert run_pending(database, clock, limit=5) > 0
    while run_pending(database, clock, limit=5):
        pass
    for conversation_id, ids in sent.items():
        order = [m["id"] for m in published if m["conversation_id"] == conversation_id]
        assert order == ids


def test_a_message_whose_reactions_fail_is_retried_then_set_aside(
    client: TestClient, database: Database, clock: FixedClock, published: list[dict[str, object]]
) -> None:
    """One poison message must not hold back other conversations, and its own
    conversation's later messages wait only until it is set aside."""
    poison_id, poison_auth = start(client)
    healthy_id, healthy_auth = start(client)

    def explode(session: Session, event: DomainEvent) -> None:
        message = event.payload.get("message")
        if isinstance(message, dict) and message.get("body") == "坏消息":
            raise RuntimeError("a reaction failed")

    bus.subscribe_in_transaction("message.created", explode)
    try:
        bad = say(client, poison_id, poison_auth, "m-1", "坏消息").json()["id"]
        after = say(client, poison_id, poison_auth, "m-2", "后一条").json()["id"]
        fine = say(client, healthy_id, healthy_auth, "m-1", "好消息").json()["id"]
        run_pending(database, clock)
        assert [m["id"] for m in published] == [fine]
        for _ in range(MAX_ATTEMPTS):
            run_pending(database, clock)
    finally:
        bus.unsubscribe_in_transaction("message.created", explode)
    with database.reading() as db:
        poison = db.get_one(Message, bad)
        assert poison.reactions_pending
        assert poison.reactions_attempts == MAX_ATTEMPTS
    assert [m["id"] for m in published] == [fine, after]


def test_the_sweep_runs_messages_their_process_never_got_to(
    client: TestClient, database: Database, clock: FixedClock, published: list[dict[str, object]]
) -> None:
    """A process that stops between storing a message and its pass leaves the message
    pending; the worker's sweep gives it its reactions once it is a few seconds old."""
    conversation_id, auth = start(client)
    stored = say(client, conversation_id, auth, "m-1", "卡密无效").json()["id"]
    assert sweep_pending(database, clock) == 0  # too recent: its own process will run it
    clock.advance(timedelta(seconds=6))
    assert sweep_pending(database, clock) == 1
    assert [m["id"] for m in published] == [stored]


def test_concurrent_passes_run_each_message_once(
    client: TestClient, database: Database, clock: FixedClock, published: list[dict[str, object]]
) -> None:
    """Two processes' pipelines (here two threads) share the pending messages: every
    message's reactions run exactly once."""
    conversations = [start(client) for _ in range(12)]
    for n in range(5):
        for conversation_id, auth in conversations:
            say(client, conversation_id, auth, f"m-{n}", f"第{n}条")
    errors: list[BaseException] = []

    def work() -> None:
        try:
            while run_pending(database, clock, limit=7):
                pass
        except BaseException as error:  # surfaced below
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    while run_pending(database, clock):  # what a skipped lock left
        pass
    assert errors == []
    ids = [m["id"] for m in published]
    assert len(ids) == 60
    assert len(set(ids)) == 60
    with database.reading() as db:
        assert pending(db) == 0


def test_the_message_reaches_realtime_clients_when_stored_and_only_then(
    app: FastAPI,
    client: TestClient,
    database: Database,
    clock: FixedClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Agents see a customer's message when it is acknowledged, not after its reactions;
    the pipeline's ``message.created`` (which the bot and webhooks need) is not sent to
    the sockets a second time."""
    hub = app.state.hub
    frames: list[tuple[str, dict[str, object]]] = []
    original = hub.publish

    def record(topic: str, data: dict[str, object]) -> None:
        frames.append((topic, data))
        original(topic, data)

    monkeypatch.setattr(hub, "publish", record)
    conversation_id, auth = start(client)
    stored = say(client, conversation_id, auth, "m-1", "充值失败了").json()

    def message_frames() -> list[tuple[str, object]]:
        return [
            (topic, data["message"]["id"])  # type: ignore[index]
            for topic, data in frames
            if data.get("type") == "message.created"
        ]

    # One event on the messages channel; each receiving hub routes it to staff and customer.
    assert message_frames() == [("messages", stored["id"])]
    assert run_pending(database, clock) == 1
    assert len(message_frames()) == 1


def test_an_archived_conversation_refuses_the_fast_path_too(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    conversation_id, auth = start(client)
    with database.transaction() as db:
        db.execute(
            update(Conversation)
            .where(Conversation.id == conversation_id)
            .values(status="closed", archived_at=clock.now())
        )
    refused = say(client, conversation_id, auth, "m-1", "还在吗")
    assert refused.status_code == 410
    assert refused.json()["error"]["code"] == "conversation_archived"
    with database.reading() as db:
        assert db.scalar(select(func.count()).select_from(Message)) == 0


def test_a_conversation_back_with_nobody_is_queued_once_per_batch(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    queued, auth_queued, _ = open_ticket(client, database)
    withdrawn, auth_withdrawn, _ = open_ticket(client, database)
    run_pending(database, clock)
    with database.transaction() as db:  # taken by hand, then left with nobody
        db.execute(
            update(QueueEntry)
            .where(QueueEntry.conversation_id == withdrawn)
            .values(state="withdrawn")
        )
    for n in range(3):
        say(client, queued, auth_queued, f"m-{n}", "还没到账")
        say(client, withdrawn, auth_withdrawn, f"m-{n}", "还没到账")
    assert run_pending(database, clock) == 6
    with database.reading() as db:
        waiting = db.execute(
            select(QueueEntry.conversation_id, QueueEntry.reason).where(
                QueueEntry.state == "waiting"
            )
        ).all()
    assert sorted(waiting) == sorted([(queued, "started"), (withdrawn, "returned")])


def test_a_batch_reads_as_much_for_many_messages_as_for_one(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    """What the reactions read is read once per batch (the pipeline's prefetchers), not
    once per message: a burst costs its writes, not a query per reaction."""
    conversations = [open_ticket(client, database)[:2] for _ in range(3)]
    run_pending(database, clock)

    def reads_of_a_batch(messages_each: int, round_: int) -> int:
        for conversation_id, auth in conversations:
            for n in range(messages_each):
                say(client, conversation_id, auth, f"r{round_}-{n}", f"第{n}次催：还没到账")
        selects: list[str] = []

        def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
            if statement.lstrip().upper().startswith("SELECT"):
                selects.append(statement)

        sa_event.listen(database.engine, "before_cursor_execute", count)
        try:
            assert run_pending(database, clock) == messages_each * len(conversations)
        finally:
            sa_event.remove(database.engine, "before_cursor_execute", count)
        return len(selects)

    assert reads_of_a_batch(4, 2) == reads_of_a_batch(1, 1)
