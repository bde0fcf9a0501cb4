"""The fast intake: customers' messages stored many to a transaction (group commit).

During a promotion thousands of customers write at once (issue 9). A request
that carries a plain text message with a conversation token does not take a
thread and a transaction of its own: it queues the message and waits,
asynchronously, for the transaction that stores it. One writer thread per
process takes everything that queued while the previous transaction committed
and stores it with one read of the conversations and one INSERT (``ON CONFLICT DO
NOTHING`` keeps resends out), so the cost of a transaction, a connection and a
commit is shared by the whole batch. It never writes the conversation rows, so it
never waits for a pipeline pass that holds them. Nor does it wait for another writer
of the same conversation (a bot turn, an agent's reply): it only tries the
conversation's message lock (yiwen.conversations.ordering) and keeps the message for
its next batch while that writer commits.

Each message is stored with ``reactions_pending``; the message pipeline
(yiwen.conversations.pipeline), woken when the batch commits, then updates its
conversation (preview, unread count, reopening) and runs its reactions.
What the request answers is exactly what the slow path answers: 201 with the
stored message, 200 with the first copy of a resend, 409 for a closed
conversation or a reused ``client_msg_id``, 404 for a conversation the token
does not open. Messages with attachments, and customers who sign in with a
shop token, take the ordinary path (``service.post_customer_message``).
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import cast

from sqlalchemy import Table, select, tuple_
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from yiwen.conversations.access import principal_from_conversation_token
from yiwen.conversations.models import Conversation, Message
from yiwen.conversations.ordering import previous_message_id, try_message_order
from yiwen.conversations.service import check_message_body, message_payload
from yiwen.core.clock import Clock
from yiwen.core.db import Database
from yiwen.core.errors import Conflict, Gone, NotFound, Unavailable
from yiwen.core.events import call_after_commit
from yiwen.core.ids import hash_token

log = logging.getLogger("yiwen.intake")

MAX_BATCH = 500
TOKEN_CACHE_SIZE = 100_000
# How long the writer pauses before retrying messages kept back for a busy conversation
# when nothing new has queued.
HELD_BACK_PAUSE = 0.005
# On stop, how long messages kept back may still wait for their conversation.
STOP_GRACE = 5.0
# A message is kept back at most this long: a writer that holds its conversation
# longer (a bot turn waiting on a slow shop) must not keep the customer waiting. It is
# then stored without the lock; if that writer commits later, its message reaches the
# sockets after this one (the widget re-reads recent messages when it reconnects).
HOLD_LIMIT = 2.0


class _HeldBack:
    """Another writer holds the conversation's message lock: try again next batch."""


HELD_BACK = _HeldBack()


@dataclass(frozen=True)
class Accepted:
    """The stored message (in the API's shape) and whether this request stored it."""

    message: dict[str, object]
    created: bool


@dataclass
class _Waiting:
    conversation_id: str
    body: str
    client_msg_id: str
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[Accepted] = field(repr=False)
    # When the intake first kept it back (monotonic seconds), if it did.
    held_since: float | None = None


PAYLOAD_FIELDS = (
    "id",
    "conversation_id",
    "sender_type",
    "sender_name",
    "body",
    "visibility",
    "client_msg_id",
    "attachment_ids",
    "ticket_id",
    "created_at",
)


def _stored_payload(row: dict[str, object]) -> dict[str, object]:
    """``service.message_payload``'s shape, from the values the batch inserted."""
    payload = {name: row[name] for name in PAYLOAD_FIELDS}
    created = payload["created_at"]
    if isinstance(created, datetime):
        payload["created_at"] = created.isoformat()
    return payload


def _messages() -> Table:
    return cast(Table, Message.__table__)


class TokenCache:
    """Conversation token hash → conversation id. A token never changes owner, so an
    entry never goes stale; the cache is bounded (least recently used go first)."""

    def __init__(self, size: int = TOKEN_CACHE_SIZE) -> None:
        self.size = size
        self._items: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, token: str) -> str | None:
        key = hash_token(token)
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, token: str, conversation_id: str) -> None:
        key = hash_token(token)
        with self._lock:
            self._items[key] = conversation_id
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)


class MessageIntake:
    """One writer thread per process; requests hand it messages and await the result."""

    def __init__(
        self,
        database: Database,
        clock: Clock,
        *,
        wake: Callable[[], None] | None = None,
        announce: Callable[[dict[str, object], str, int | None], None] | None = None,
        max_chars: int = 5000,
    ) -> None:
        self.database = database
        self.clock = clock
        self.wake = wake
        self.announce = announce
        self.max_chars = max_chars
        self.tokens = TokenCache()
        self._queue: queue.SimpleQueue[_Waiting | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="yiwen-intake", daemon=True)
                self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Store what has queued, then stop."""
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join(timeout)

    async def conversation_of(self, token: str) -> str:
        """The conversation a conversation token opens (cached; a miss reads the database
        on a worker thread); raises ``Unauthenticated`` for an unknown token."""
        found = self.tokens.get(token)
        if found is None:
            found = await asyncio.to_thread(self._read_token, token)
            self.tokens.put(token, found)
        return found

    def _read_token(self, token: str) -> str:
        with self.database.reading() as db:
            principal = principal_from_conversation_token(db, token)
        assert principal.conversation_id is not None
        return principal.conversation_id

    async def submit(self, conversation_id: str, body: str, client_msg_id: str) -> Accepted:
        """Queue a text message; raises the domain error the slow path would raise."""
        text = check_message_body(body, False, self.max_chars)
        self.start()
        loop = asyncio.get_running_loop()
        waiting = _Waiting(conversation_id, text, client_msg_id, loop, loop.create_future())
        self._queue.put(waiting)
        return await waiting.future

    def _run(self) -> None:
        held: list[_Waiting] = []
        stopping = False
        stop_by = 0.0
        while True:
            fresh, stop_seen = self._collect(wait=not held and not stopping, pause=bool(held))
            if stop_seen and not stopping:
                stopping, stop_by = True, time.monotonic() + STOP_GRACE
            # What was kept back goes first: a conversation's messages keep their order.
            batch = held + fresh
            held = self._store(batch) if batch else []
            if stopping and (not held or time.monotonic() > stop_by):
                for item in held:
                    item.loop.call_soon_threadsafe(
                        _settle, item.future, Unavailable("service_restarting")
                    )
                return

    def _collect(self, *, wait: bool, pause: bool) -> tuple[list[_Waiting], bool]:
        """Whatever queued (waiting for the first item if ``wait``, or up to a short
        pause if ``pause``); and whether a stop was asked for."""
        batch: list[_Waiting] = []
        try:
            if wait:
                first = self._queue.get()
            elif pause:
                first = self._queue.get(timeout=HELD_BACK_PAUSE)
            else:
                first = self._queue.get_nowait()
        except queue.Empty:
            return batch, False
        if first is None:
            return batch, True
        batch.append(first)
        while len(batch) < MAX_BATCH:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is None:
                return batch, True
            batch.append(item)
        return batch, False

    def _store(self, batch: list[_Waiting]) -> list[_Waiting]:
        """Store the batch and answer its requests; returns the messages kept back."""
        results: list[Accepted | Exception | _HeldBack]
        try:
            results = self._write(batch)
        except Exception as error:
            if len(batch) == 1:
                log.exception("storing a customer message failed")
                results = [error]
            else:
                # One bad message must not fail its neighbours: each alone this time.
                results = []
                for item in batch:
                    try:
                        results.extend(self._write([item]))
                    except Exception as single:
                        log.exception("storing a customer message failed")
                        results.append(single)
        held: list[_Waiting] = []
        for item, result in zip(batch, results, strict=True):
            if isinstance(result, _HeldBack):
                held.append(item)
            else:
                item.loop.call_soon_threadsafe(_settle, item.future, result)
        return held

    def _write(self, batch: list[_Waiting]) -> list[Accepted | Exception | _HeldBack]:
        now = self.clock.now()
        results: list[Accepted | Exception | _HeldBack | None] = [None] * len(batch)
        with self.database.transaction() as db:
            ids = sorted({item.conversation_id for item in batch})
            rows = db.execute(
                select(
                    Conversation.id,
                    Conversation.status,
                    Conversation.customer_id,
                    Conversation.archived_at,
                    try_message_order(db).label("free"),
                ).where(Conversation.id.in_(ids))
            ).all()
            conversations = {row.id: row for row in rows}
            to_store: list[int] = []
            for index, item in enumerate(batch):
                conversation = conversations.get(item.conversation_id)
                if conversation is None:
                    results[index] = NotFound("conversation_not_found")
                elif conversation.archived_at is not None:
                    results[index] = Gone("conversation_archived")
                elif conversation.status == "closed":
                    results[index] = Conflict("conversation_closed")
                else:
                    to_store.append(index)
            busy = {row.id for row in rows if not row.free}
            self._keep_back_busy(batch, to_store, busy, results)
            to_store = [i for i in to_store if results[i] is None]
            stored: dict[tuple[str, str], dict[str, object]] = {}
            if to_store:
                owners = {row.id: row.customer_id for row in rows}
                stored = self._insert(db, batch, to_store, owners, now)
            # Closed conversations and resends answer with the copy already stored.
            missing = [
                i
                for i in range(len(batch))
                if _key(batch[i]) not in stored and results[i] is not HELD_BACK
            ]
            earlier = self._existing(db, [batch[i] for i in missing])
            for index in missing:
                item = batch[index]
                found = earlier.get(_key(item))
                if found is not None:
                    same = found.body == item.body and not found.attachment_ids
                    results[index] = (
                        Accepted(message_payload(found), False)
                        if same
                        else Conflict("client_msg_id_reused")
                    )
            created_once: set[tuple[str, str]] = set()
            for index in to_store:
                key = _key(batch[index])
                if results[index] is None and key in stored:
                    first = key not in created_once
                    created_once.add(key)
                    row = stored[key]
                    if row["body"] != batch[index].body:
                        results[index] = Conflict("client_msg_id_reused")
                    else:
                        results[index] = Accepted(_stored_payload(row), first)
            if stored and self.wake is not None:
                call_after_commit(db, self.wake)
            if stored and self.announce is not None:
                call_after_commit(db, lambda: self._announce(list(stored.values())))
        return [
            result if result is not None else Conflict("client_msg_id_reused") for result in results
        ]

    def _keep_back_busy(
        self,
        batch: list[_Waiting],
        to_store: list[int],
        busy: set[str],
        results: list[Accepted | Exception | _HeldBack | None],
    ) -> None:
        """Mark HELD_BACK the messages whose conversation another writer holds (``busy``),
        unless one of them has waited HOLD_LIMIT already."""
        if not busy:
            return
        moment = time.monotonic()
        overdue = {
            batch[i].conversation_id
            for i in to_store
            if batch[i].conversation_id in busy and _waited(batch[i], moment) >= HOLD_LIMIT
        }
        for conversation_id in overdue:
            log.warning(
                "conversation %s stayed locked by another writer for %.1f s: storing its "
                "customer's message without the lock",
                conversation_id,
                HOLD_LIMIT,
            )
        for index in to_store:
            item = batch[index]
            if item.conversation_id in busy and item.conversation_id not in overdue:
                results[index] = HELD_BACK
                if item.held_since is None:
                    item.held_since = moment

    def _insert(
        self,
        db: Session,
        batch: list[_Waiting],
        indexes: list[int],
        owners: dict[str, str],
        now: datetime,
    ) -> dict[tuple[str, str], dict[str, object]]:
        """One INSERT for the batch (executemany, so its SQL is compiled once per process);
        returns the rows it stored by (conversation, client_msg_id)."""
        values: dict[tuple[str, str], dict[str, object]] = {}
        for index in indexes:
            item = batch[index]
            values.setdefault(
                _key(item),
                {
                    "conversation_id": item.conversation_id,
                    "sender_type": "customer",
                    "sender_id": owners[item.conversation_id],
                    "sender_name": None,
                    "body": item.body,
                    "visibility": "public",
                    "client_msg_id": item.client_msg_id,
                    "attachment_ids": [],
                    "ticket_id": None,
                    "created_at": now,
                    "reactions_pending": True,
                    "reactions_attempts": 0,
                },
            )
        table = _messages()
        insert = sqlite_insert if db.get_bind().dialect.name == "sqlite" else postgresql_insert
        statement = (
            insert(table)
            .on_conflict_do_nothing(index_elements=["conversation_id", "client_msg_id"])
            .returning(
                table.c.id,
                table.c.conversation_id,
                table.c.client_msg_id,
                previous_message_id(table).label("previous_id"),
            )
        )
        stored: dict[tuple[str, str], dict[str, object]] = {}
        before: dict[tuple[str, str], int | None] = {}
        for row in db.connection().execute(statement, list(values.values())):
            key = (row.conversation_id, row.client_msg_id)
            stored[key] = {"id": row.id, **values[key]}
            before[key] = row.previous_id
        # Each message's predecessor in its conversation, for the realtime hub's order:
        # the newest before the batch, then the batch's own in id order.
        last: dict[str, int] = {}
        for key, kept in sorted(stored.items(), key=lambda item: cast(int, item[1]["id"])):
            conversation_id = cast(str, kept["conversation_id"])
            kept["previous_id"] = last.get(conversation_id, before[key])
            last[conversation_id] = cast(int, kept["id"])
        return stored

    def _announce(self, stored: list[dict[str, object]]) -> None:
        """Show the batch's messages to realtime clients now, in id order; their
        ``message.created`` from the pipeline is marked as announced."""
        assert self.announce is not None
        for row in sorted(stored, key=lambda r: int(str(r["id"]))):
            payload = _stored_payload(row)
            created = payload["created_at"]
            payload["created_at"] = (
                created.isoformat() if isinstance(created, datetime) else created
            )
            self.announce(payload, str(row["sender_id"]), cast("int | None", row["previous_id"]))

    def _existing(self, db: Session, items: list[_Waiting]) -> dict[tuple[str, str], Message]:
        if not items:
            return {}
        keys = {_key(item) for item in items}
        rows = db.scalars(
            select(Message).where(tuple_(Message.conversation_id, Message.client_msg_id).in_(keys))
        )
        return {(row.conversation_id, row.client_msg_id or ""): row for row in rows}


def _waited(item: _Waiting, moment: float) -> float:
    """How long the intake has kept the message back (0 if it has not)."""
    return 0.0 if item.held_since is None else moment - item.held_since


def _key(item: _Waiting) -> tuple[str, str]:
    return (item.conversation_id, item.client_msg_id)


def _settle(future: asyncio.Future[Accepted], result: Accepted | Exception) -> None:
    if future.cancelled():
        return
    if isinstance(result, Exception):
        future.set_exception(result)
    else:
        future.set_result(result)
