"""One order for a conversation's messages: stored, listed and delivered by id.

The database gives a message its id at INSERT, but transactions commit in their own
order. Without care, a bot's answer that took its id before the customer's next
message could commit after it: a socket would see the later id first, and a client
catching up with ``?after=<last id seen>`` would skip the earlier one.

**Stored.** On PostgreSQL every writer of a conversation's messages holds the
conversation's *message lock* (a transaction-level advisory lock) from just before
its INSERT until it commits, so within a conversation ids are handed out in commit
order. The fast intake only *tries* the lock and keeps a message back for its next
batch when another writer holds it: its one writer thread serves every conversation
and must never wait on a slow one. The other writers take the conversation's row
lock first (``FOR NO KEY UPDATE``, as their update of its preview would anyway),
then this one; a waiter on the message lock therefore holds the row lock, and the
only other holder of the message lock is the intake, which waits for nothing, so
these locks cannot deadlock. SQLite has a single writer: commit order is id order.

**Delivered.** Realtime events leave after commit from several threads and
processes, and may still overtake one another on the way. Each ``message.created``
names the conversation's message before it (``previous_id``, read under the lock),
and the hub puts overtaken events back in order (:class:`MessageOrder`).
"""

from __future__ import annotations

from collections import OrderedDict

from sqlalchemy import (
    ColumnElement,
    Integer,
    SQLColumnExpression,
    Table,
    func,
    literal_column,
    select,
    true,
)
from sqlalchemy.orm import Session

from yiwen.conversations.models import Conversation, Message

# The first key of the two-key advisory lock: this lock's namespace ("Yw").
LOCK_SPACE = 0x5977


def _lock_key(conversation_id: SQLColumnExpression[str] | str) -> ColumnElement[int]:
    """The conversation's second lock key, computed by PostgreSQL (``hashtext``, a 32-bit
    hash: a collision only makes two conversations wait for each other)."""
    return func.hashtext(conversation_id)


def _on_postgresql(db: Session) -> bool:
    return db.get_bind().dialect.name == "postgresql"


def hold_message_order(db: Session, conversation_id: str) -> int | None:
    """Take the conversation's row lock, then its message lock, both until commit; returns
    the conversation's newest message id, read under them (the new message's predecessor).

    Called by every writer except the fast intake, right before its INSERT.
    """
    if _on_postgresql(db):
        db.execute(
            select(Conversation.id)
            .where(Conversation.id == conversation_id)
            .with_for_update(key_share=True)
        )
        db.execute(select(func.pg_advisory_xact_lock(LOCK_SPACE, _lock_key(conversation_id))))
    return db.scalar(select(func.max(Message.id)).where(Message.conversation_id == conversation_id))


def try_message_order(db: Session) -> ColumnElement[bool]:
    """A column for the intake's read of its conversations: true when this transaction
    now holds the row's message lock (until commit), false when another writer does.
    Never waits."""
    if not _on_postgresql(db):
        return true()
    return func.pg_try_advisory_xact_lock(LOCK_SPACE, _lock_key(Conversation.id))


def previous_message_id(messages: Table) -> ColumnElement[int]:
    """For an INSERT's RETURNING: the id of the message before the inserted one in its
    conversation. Its snapshot is the INSERT's, taken after the locks were: it sees
    every earlier writer's commit. (On PostgreSQL it does not see the statement's own
    rows; the intake chains those itself.) Written out because SQLAlchemy does not
    correlate a subquery with an INSERT's target row."""
    name = messages.name
    return literal_column(
        f"(SELECT max(earlier.id) FROM {name} AS earlier "
        f"WHERE earlier.conversation_id = {name}.conversation_id AND earlier.id < {name}.id)",
        type_=Integer,
    )


class MessageOrder:
    """Puts a conversation's ``message.created`` events back in the order they were stored.

    Fed by one thread (the hub's event loop). An event whose ``previous_id`` is the
    last one released goes out at once, followed by any it unblocks; one that overtook
    its predecessor waits for it, at most ``patience`` seconds (a predecessor that was
    never announced, or whose event Redis lost, must not hold the conversation up).
    A conversation not seen before starts from its first event.
    """

    def __init__(self, patience: float = 1.0, remembered: int = 100_000) -> None:
        self.patience = patience
        self.remembered = remembered
        # conversation id -> the last message id released
        self._released: OrderedDict[str, int] = OrderedDict()
        # conversation id -> events waiting for their predecessor:
        # (message id, previous id, item, since when)
        self._waiting: dict[str, list[tuple[int, int | None, object, float]]] = {}

    def offer(
        self,
        conversation_id: str,
        message_id: int,
        previous_id: int | None,
        item: object,
        now: float,
    ) -> list[object]:
        """The items to deliver now, in order (possibly none, possibly earlier ones too)."""
        last = self._released.get(conversation_id)
        if last is None or previous_id is None or previous_id <= last or message_id <= last:
            # First sight, a conversation's first message, or its predecessor already out.
            ready = [item]
            if last is None or message_id > last:
                self._remember(conversation_id, message_id)
            return ready + self._unblocked(conversation_id)
        self._waiting.setdefault(conversation_id, []).append((message_id, previous_id, item, now))
        return []

    def overdue(self, now: float) -> list[object]:
        """Events that waited ``patience`` for a predecessor: released in id order, as
        far as the newest overdue one."""
        ready: list[object] = []
        for conversation_id in [
            c
            for c, waiting in self._waiting.items()
            if any(now - w[3] >= self.patience for w in waiting)
        ]:
            waiting = sorted(self._waiting.pop(conversation_id), key=lambda w: w[0])
            newest_overdue = max(w[0] for w in waiting if now - w[3] >= self.patience)
            keep = [w for w in waiting if w[0] > newest_overdue]
            ready.extend(w[2] for w in waiting if w[0] <= newest_overdue)
            self._remember(conversation_id, newest_overdue)
            if keep:
                self._waiting[conversation_id] = keep
            ready.extend(self._unblocked(conversation_id))
        return ready

    @property
    def waiting(self) -> int:
        return sum(len(w) for w in self._waiting.values())

    def _unblocked(self, conversation_id: str) -> list[object]:
        ready: list[object] = []
        waiting = self._waiting.get(conversation_id)
        while waiting:
            last = self._released[conversation_id]
            found = next((w for w in waiting if w[1] is not None and w[1] <= last), None)
            if found is None:
                break
            waiting.remove(found)
            ready.append(found[2])
            if found[0] > last:
                self._remember(conversation_id, found[0])
        if waiting is not None and not waiting:
            del self._waiting[conversation_id]
        return ready

    def _remember(self, conversation_id: str, message_id: int) -> None:
        self._released[conversation_id] = message_id
        self._released.move_to_end(conversation_id)
        while len(self._released) > self.remembered:
            # The least recently active goes; what still waits there leaves when overdue.
            self._released.popitem(last=False)
