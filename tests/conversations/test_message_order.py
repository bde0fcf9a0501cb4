"""A conversation's messages reach sockets in the order they were stored.

``MessageOrder`` alone (events handed in out of order), then a real hub bound to an
event loop: its staff stream and the customer's stream both come out in stored
order, and an internal note only on the staff stream; and the chain the fast intake
writes for messages stored in one batch. Through Redis between
processes: tests/scale/test_fanout.py. The locks that make stored order equal
commit order: test_message_locks.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.support.loops import LoopThread
from yiwen.conversations.intake import MessageIntake, _Waiting
from yiwen.conversations.models import Message
from yiwen.conversations.ordering import MessageOrder
from yiwen.conversations.realtime import STAFF_TOPIC, RealtimeHub, conversation_topic
from yiwen.core.clock import FixedClock
from yiwen.core.db import Database
from yiwen.core.events import DomainEvent


def test_events_in_order_go_straight_out() -> None:
    order = MessageOrder()
    assert order.offer("c1", 1, None, "m1", now=0.0) == ["m1"]
    assert order.offer("c1", 2, 1, "m2", now=0.0) == ["m2"]
    assert order.offer("c2", 3, None, "n3", now=0.0) == ["n3"]
    assert order.offer("c1", 4, 2, "m4", now=0.0) == ["m4"]
    assert order.waiting == 0


def test_an_overtaking_event_waits_for_its_predecessor_and_follows_it() -> None:
    order = MessageOrder()
    assert order.offer("c1", 10, None, "m10", now=0.0) == ["m10"]
    assert order.offer("c1", 12, 11, "m12", now=0.1) == []
    assert order.offer("c1", 13, 12, "m13", now=0.1) == []
    assert order.waiting == 2
    # Another conversation is not held up meanwhile.
    assert order.offer("c2", 14, None, "n14", now=0.1) == ["n14"]
    assert order.offer("c1", 11, 10, "m11", now=0.2) == ["m11", "m12", "m13"]
    assert order.waiting == 0


def test_a_predecessor_that_never_comes_holds_the_conversation_up_only_for_a_while() -> None:
    order = MessageOrder(patience=1.0)
    assert order.offer("c1", 1, None, "m1", now=0.0) == ["m1"]
    assert order.offer("c1", 3, 2, "m3", now=5.0) == []
    assert order.offer("c1", 5, 4, "m5", now=5.5) == []
    assert order.overdue(now=5.9) == []
    # m3 waited long enough: out it goes; m5 still waits for m4, until its own time is up.
    assert order.overdue(now=6.0) == ["m3"]
    assert order.waiting == 1
    assert order.overdue(now=6.5) == ["m5"]
    # The lost one, should it come after all, is not swallowed.
    assert order.offer("c1", 2, 1, "m2", now=7.0) == ["m2"]
    assert order.offer("c1", 6, 5, "m6", now=7.0) == ["m6"]


def test_an_overdue_pass_keeps_the_order_of_what_waited() -> None:
    order = MessageOrder(patience=1.0)
    order.offer("c1", 1, None, "m1", now=0.0)
    assert order.offer("c1", 4, 3, "m4", now=0.0) == []
    assert order.offer("c1", 3, 2, "m3", now=0.5) == []
    assert order.overdue(now=1.0) == ["m3", "m4"]


def test_a_conversation_seen_first_mid_way_starts_from_that_event() -> None:
    """After a restart the hub knows no conversation: the first event it sees goes out."""
    order = MessageOrder()
    assert order.offer("c1", 40, 39, "m40", now=0.0) == ["m40"]
    assert order.offer("c1", 41, 40, "m41", now=0.0) == ["m41"]


def test_forgotten_conversations_make_room_for_active_ones() -> None:
    order = MessageOrder(remembered=2)
    order.offer("c1", 1, None, "a", now=0.0)
    order.offer("c2", 2, None, "b", now=0.0)
    order.offer("c3", 3, None, "c", now=0.0)
    # c1 was forgotten: its next event goes out as a first sight would.
    assert order.offer("c1", 5, 4, "a5", now=0.0) == ["a5"]
    # c3 is remembered: an overtaking event still waits.
    assert order.offer("c3", 7, 6, "c7", now=0.0) == []


@pytest.fixture
def loop() -> Iterator[LoopThread]:
    running = LoopThread()
    yield running
    running.stop()
    running.loop.close()


def created(message_id: int, previous_id: int | None, visibility: str = "public") -> DomainEvent:
    message = {"id": message_id, "conversation_id": "c1", "visibility": visibility, "body": "…"}
    return DomainEvent(
        "message.created",
        {"message": message, "customer_id": "cust", "previous_id": previous_id},
    )


def ids(frames: list[dict[str, object]]) -> list[int]:
    return [frame["message"]["id"] for frame in frames]  # type: ignore[index]


def test_the_hub_hands_both_streams_their_messages_in_stored_order(loop: LoopThread) -> None:
    hub = RealtimeHub()
    loop.call(hub.bind, loop.loop)
    staff = loop.call(hub.subscribe, STAFF_TOPIC)
    customer = loop.call(hub.subscribe, conversation_topic("c1"))
    hub.on_event(created(1, None))
    # The agent's note (2) and the bot's answer (3) were stored before the customer's
    # next message (4), but their events left last.
    hub.on_event(created(4, 3))
    hub.on_event(created(3, 2))
    hub.on_event(created(2, 1, visibility="internal"))
    assert ids(loop.take(staff, 4)) == [1, 2, 3, 4]
    to_customer = loop.take(customer, 3)
    assert ids(to_customer) == [1, 3, 4]  # never the internal note,
    assert "previous_id" not in to_customer[1]  # nor a hint of it
    assert (loop.call(staff.qsize), loop.call(customer.qsize)) == (0, 0)


def test_the_hub_lets_a_message_go_when_its_predecessor_never_comes(loop: LoopThread) -> None:
    hub = RealtimeHub()
    hub.order.patience = 0.2
    loop.call(hub.bind, loop.loop)
    customer = loop.call(hub.subscribe, conversation_topic("c1"))
    hub.on_event(created(1, None))
    hub.on_event(created(3, 2))  # 2 was never announced
    assert ids(loop.take(customer, 2)) == [1, 3]
    assert hub.order.waiting == 0


def test_one_intake_batch_chains_each_message_to_the_one_before_it(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    """Two messages of one conversation in the same INSERT: the first names the newest
    message stored before the batch, the second the first (PostgreSQL's RETURNING does
    not see the statement's own rows; SQLite's does: both must give the same chain)."""
    first, first_auth = start(client)
    second, second_auth = start(client)
    before_first = said(client, database, first, first_auth, "m-0")
    before_second = said(client, database, second, second_auth, "n-0")
    announced: list[tuple[int, int | None]] = []
    intake = MessageIntake(
        database,
        clock,
        announce=lambda message, _customer, previous: announced.append(
            (int(str(message["id"])), previous)
        ),
    )
    loop = asyncio.new_event_loop()
    try:
        batch = [
            _Waiting(conversation, body, msg_id, loop, loop.create_future())
            for conversation, body, msg_id in [
                (first, "第一条", "m-1"),
                (second, "另一位顾客", "n-1"),
                (first, "第二条", "m-2"),
            ]
        ]
        assert intake._store(batch) == []
        loop.run_until_complete(asyncio.sleep(0))
        m1, n1, m2 = (int(str(item.future.result().message["id"])) for item in batch)
    finally:
        loop.close()
    assert sorted(announced) == sorted([(m1, before_first), (n1, before_second), (m2, m1)])


def start(client: TestClient) -> tuple[str, dict[str, str]]:
    data = client.post("/api/v1/customer/conversations", json={}).json()
    return data["conversation"]["id"], {"X-Conversation-Token": data["token"]}


def said(
    client: TestClient, database: Database, conversation_id: str, auth: dict[str, str], msg_id: str
) -> int:
    response = client.post(
        f"/api/v1/customer/conversations/{conversation_id}/messages",
        json={"client_msg_id": msg_id, "body": "在吗"},
        headers=auth,
    )
    assert response.status_code == 201, response.text
    # The bot may answer in between: the newest message is the one to chain to.
    with database.reading() as db:
        newest = db.scalar(
            select(func.max(Message.id)).where(Message.conversation_id == conversation_id)
        )
    return int(newest)
