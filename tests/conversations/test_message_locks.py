"""Within a conversation, messages get their ids in the order they commit (PostgreSQL).

A writer that inserted a message and has not committed yet (a bot turn still
working, an agent's reply) holds the conversation's message lock: a customer's
message through the fast intake waits for that commit, without holding up other
conversations, and then gets the later id; a second staff writer waits too.
SQLite has one writer at a time, so there ids follow commit order by themselves and
these tests do not apply.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.conftest import TEST_DB
from yiwen.conversations import intake as intake_module
from yiwen.conversations.models import Message
from yiwen.conversations.service import get_conversation, post_staff_message
from yiwen.core.clock import FixedClock
from yiwen.core.db import Database

pytestmark = [
    pytest.mark.skipif(
        TEST_DB != "postgresql", reason="SQLite has one writer: commit order is id order already"
    ),
    pytest.mark.deferred_reactions,
]

BASE = "/api/v1/customer"
STILL_WAITING = 0.5


@pytest.fixture
def pool() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(max_workers=4) as executor:
        yield executor


def start(client: TestClient) -> tuple[str, dict[str, str]]:
    data = client.post(f"{BASE}/conversations", json={}).json()
    return data["conversation"]["id"], {"X-Conversation-Token": data["token"]}


def say(client: TestClient, conversation_id: str, auth: dict[str, str], msg_id: str) -> int:
    response = client.post(
        f"{BASE}/conversations/{conversation_id}/messages",
        json={"client_msg_id": msg_id, "body": "还是没到账"},
        headers=auth,
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


class OpenWriter:
    """A staff message inserted in a transaction that commits only when told to."""

    def __init__(
        self, database: Database, clock: FixedClock, conversation_id: str, visibility: str
    ) -> None:
        self.inserted: Future[int] = Future()
        self.release = threading.Event()
        self.committed = threading.Event()
        self.thread = threading.Thread(
            target=self._run, args=(database, clock, conversation_id, visibility), daemon=True
        )
        self.thread.start()
        self.message_id = self.inserted.result(timeout=10)

    def _run(
        self, database: Database, clock: FixedClock, conversation_id: str, visibility: str
    ) -> None:
        try:
            with database.transaction() as db:
                message = post_staff_message(
                    db,
                    clock,
                    get_conversation(db, conversation_id),
                    sender_type="bot",
                    sender_id=None,
                    sender_name="一问智能客服",
                    body="正在为您查询订单",
                    max_chars=5000,
                    visibility=visibility,
                )
                self.inserted.set_result(message.id)
                self.release.wait(10)
            self.committed.set()
        except BaseException as error:
            if not self.inserted.done():
                self.inserted.set_exception(error)
            raise

    def commit(self) -> None:
        self.release.set()
        self.thread.join(10)
        assert self.committed.is_set()


def staff_writer(database: Database, clock: FixedClock, conversation_id: str) -> Callable[[], int]:
    def write() -> int:
        with database.transaction() as db:
            return post_staff_message(
                db,
                clock,
                get_conversation(db, conversation_id),
                sender_type="agent",
                sender_id=None,
                sender_name="小二",
                body="已为您补发",
                max_chars=5000,
            ).id

    return write


def test_a_customer_message_waits_for_an_open_writer_of_its_conversation_only(
    client: TestClient, database: Database, clock: FixedClock, pool: ThreadPoolExecutor
) -> None:
    busy, busy_auth = start(client)
    other, other_auth = start(client)
    writer = OpenWriter(database, clock, busy, visibility="public")

    waiting = pool.submit(say, client, busy, busy_auth, "m-busy")
    # The intake's one writer thread is not stuck behind it: another conversation's
    # message is stored meanwhile.
    assert say(client, other, other_auth, "m-other") > writer.message_id
    with pytest.raises(TimeoutError):
        waiting.result(timeout=STILL_WAITING)

    writer.commit()
    assert waiting.result(timeout=10) > writer.message_id


def test_a_second_staff_writer_waits_for_the_first_even_for_an_internal_note(
    client: TestClient, database: Database, clock: FixedClock, pool: ThreadPoolExecutor
) -> None:
    conversation_id, _auth = start(client)
    note = OpenWriter(database, clock, conversation_id, visibility="internal")
    reply = pool.submit(staff_writer(database, clock, conversation_id))
    with pytest.raises(TimeoutError):
        reply.result(timeout=STILL_WAITING)
    note.commit()
    assert reply.result(timeout=10) > note.message_id


def test_the_realtime_event_names_the_message_before_it(
    app: FastAPI, client: TestClient, database: Database, clock: FixedClock
) -> None:
    """What the hub orders by: each ``message.created`` carries its predecessor's id,
    across the intake (which announces at commit) and the staff path."""
    hub = app.state.hub
    sent: list[dict[str, object]] = []
    original = hub.publish

    def record(topic: str, data: dict[str, object]) -> None:
        if data.get("type") == "message.created":
            sent.append(data)
        original(topic, data)

    hub.publish = record
    try:
        conversation_id, auth = start(client)
        first = say(client, conversation_id, auth, "m-1")
        answer = staff_writer(database, clock, conversation_id)()
        second = say(client, conversation_id, auth, "m-2")
    finally:
        del hub.publish
    chain = [
        (data["message"]["id"], data["previous_id"])  # type: ignore[index]
        for data in sent
        if data["message"]["conversation_id"] == conversation_id  # type: ignore[index]
    ]
    assert chain[-3:] == [(first, chain[-3][1]), (answer, first), (second, answer)]


def test_a_message_kept_back_when_the_process_stops_is_refused_not_dropped(
    app: FastAPI,
    client: TestClient,
    database: Database,
    clock: FixedClock,
    pool: ThreadPoolExecutor,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The writer of its conversation outlasts the shutdown's grace: the customer is told
    to send again (503), and nothing is stored behind their back."""
    monkeypatch.setattr(intake_module, "STOP_GRACE", 0.3)
    conversation_id, auth = start(client)
    writer = OpenWriter(database, clock, conversation_id, visibility="public")

    def send() -> httpx.Response:
        return client.post(
            f"{BASE}/conversations/{conversation_id}/messages",
            json={"client_msg_id": "m-late", "body": "在吗"},
            headers=auth,
        )

    waiting = pool.submit(send)
    with pytest.raises(TimeoutError):
        waiting.result(timeout=STILL_WAITING)
    app.state.intake.stop()
    refused = waiting.result(timeout=10)
    writer.commit()
    assert refused.status_code == 503, refused.text
    assert refused.json()["error"]["code"] == "service_restarting"
    with database.reading() as db:
        stored = db.scalar(
            select(func.count()).select_from(Message).where(Message.client_msg_id == "m-late")
        )
    assert stored == 0


def test_a_writer_that_holds_the_conversation_too_long_does_not_keep_the_customer_waiting(
    client: TestClient,
    database: Database,
    clock: FixedClock,
    pool: ThreadPoolExecutor,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """After HOLD_LIMIT the message is stored without the lock (the order then rests on
    the clients' catch-up), rather than wait for a bot turn stuck on a slow shop."""
    monkeypatch.setattr(intake_module, "HOLD_LIMIT", 0.3)
    conversation_id, auth = start(client)
    writer = OpenWriter(database, clock, conversation_id, visibility="public")
    try:
        waiting = pool.submit(say, client, conversation_id, auth, "m-impatient")
        stored = waiting.result(timeout=5)  # while the writer is still open
        assert not writer.committed.is_set()
        assert stored > writer.message_id
    finally:
        writer.commit()
