"""WeCom session states follow the case: an agent takes it, the case ends.

WeCom tracks each customer's session (kf/service_state): new, with the
assistant (API — Yiwen answers here), queued, with a WeCom servicer, ended.
Yiwen moves it by itself:

- an agent takes the conversation or its ticket, and the account maps that
  agent to a WeCom servicer (config ``servicer.<staff username>`` = the
  member's WeCom userid): state 3 (由人工接待) with that servicer, so the agent can
  also answer from the WeCom client; without a mapping the session stays
  with the API and Yiwen keeps answering through it (WeCom refuses
  send_msg in state 3);
- the ticket is resolved or closed: state 4 (已结束).

Changes are queued in the transaction of their cause and made by the channel
job (:mod:`.jobs`), retried while WeCom is busy; a change WeCom refuses for
good is recorded on its row. "Already ended" counts as done for an end.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import cast

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from yiwen.auth.models import StaffUser
from yiwen.channels.accounts import account_view
from yiwen.channels.models import ChannelAccount, WecomSessionChange
from yiwen.channels.wecom.client import STATE_ENDED, STATE_SERVICER, WecomApi
from yiwen.conversations.models import Conversation
from yiwen.core.clock import Clock
from yiwen.core.db import Database, session_context
from yiwen.core.events import DomainEvent, bus
from yiwen.core.settings import Settings
from yiwen.customers.models import Identity
from yiwen.notify.protocol import PermanentError, RetriableError
from yiwen.tickets.models import Ticket

log = logging.getLogger("yiwen.channels.wecom")

CHANNEL = "wecom"
# Config entries "servicer.<staff username or id>" give that agent's WeCom userid.
SERVICER_CONFIG_PREFIX = "servicer."
# 95013: the session has already ended (the customer left, or it was ended before).
SESSION_ENDED_ERRCODE = 95013
MAX_ATTEMPTS = 10
FIRST_PAUSE = timedelta(seconds=30)
LONGEST_PAUSE = timedelta(minutes=30)


@dataclass(frozen=True)
class DueChange:
    id: str
    account_id: str
    external_userid: str
    service_state: int
    servicer_userid: str


def install_reactions() -> None:
    bus.subscribe_in_transaction("routing.assigned", _on_assigned)
    bus.subscribe_in_transaction("ticket.assigned", _on_assigned)
    bus.subscribe_in_transaction("ticket.resolved", _on_ended)
    bus.subscribe_in_transaction("ticket.status_changed", _on_ended)


def _on_assigned(db: Session, event: DomainEvent) -> None:
    agent_id = event.payload.get("agent_id") or event.payload.get("assignee_id")
    conversation = _conversation(db, event)
    if not agent_id or conversation is None:
        return
    target = _wecom_customer(db, conversation)
    if target is None:
        return
    account, external_userid = target
    servicer = _servicer_of(db, account, str(agent_id))
    if not servicer:
        return  # the agent answers in Yiwen's console: the session stays with the API
    queue_session_change(
        db,
        account.id,
        external_userid,
        STATE_SERVICER,
        servicer_userid=servicer,
        reason=f"servicer:{conversation.id}:{agent_id}",
    )


def _on_ended(db: Session, event: DomainEvent) -> None:
    if event.name == "ticket.status_changed" and event.payload.get("after") != "closed":
        return
    ticket = db.get(Ticket, str(event.payload.get("ticket_id") or ""))
    conversation = _conversation(db, event)
    if ticket is None or conversation is None:
        return
    target = _wecom_customer(db, conversation)
    if target is None:
        return
    account, external_userid = target
    round_ = ticket.resolution_round
    queue_session_change(
        db,
        account.id,
        external_userid,
        STATE_ENDED,
        reason=f"end:{ticket.id}:{event.name}:{round_}",
    )


def queue_session_change(
    db: Session,
    account_id: str,
    external_userid: str,
    state: int,
    *,
    reason: str,
    servicer_userid: str = "",
) -> None:
    """Queue one change; the same ``reason`` twice queues it once."""
    clock = cast(Clock, session_context(db, "clock"))
    try:
        with db.begin_nested():
            db.add(
                WecomSessionChange(
                    account_id=account_id,
                    external_userid=external_userid,
                    service_state=state,
                    servicer_userid=servicer_userid,
                    reason=reason[:150],
                    next_try_at=clock.now(),
                    created_at=clock.now(),
                )
            )
            db.flush()
    except IntegrityError:
        pass


def apply_session_changes(
    database: Database, clock: Clock, settings: Settings, api: WecomApi
) -> int:
    """Make the due changes in the order they were queued; returns how many were made."""
    with database.reading() as db:
        due = [
            DueChange(r.id, r.account_id, r.external_userid, r.service_state, r.servicer_userid)
            for r in db.scalars(
                select(WecomSessionChange)
                .where(
                    WecomSessionChange.status == "pending",
                    WecomSessionChange.next_try_at <= clock.now(),
                )
                .order_by(WecomSessionChange.created_at, WecomSessionChange.id)
                .limit(100)
            )
        ]
        accounts = {
            row.id: account_view(settings, row)
            for row in db.scalars(
                select(ChannelAccount).where(
                    ChannelAccount.id.in_({c.account_id for c in due}),
                    ChannelAccount.enabled.is_(True),
                )
            )
        }
    made = 0
    held: set[tuple[str, str]] = set()  # customers whose earlier change must go first
    for change in due:
        customer = (change.account_id, change.external_userid)
        account = accounts.get(change.account_id)
        if account is None or customer in held:
            held.add(customer)
            continue
        try:
            api.change_service_state(
                account, change.external_userid, change.service_state, change.servicer_userid
            )
        except RetriableError as exc:
            held.add(customer)
            _settle(database, clock, change.id, error=exc.reason, retry=True)
            continue
        except PermanentError as exc:
            done = change.service_state == STATE_ENDED and f"errcode {SESSION_ENDED_ERRCODE}" in (
                exc.reason
            )
            _settle(database, clock, change.id, error=exc.reason, retry=False, done=done)
            continue
        _settle(database, clock, change.id, error=None, retry=False, done=True)
        made += 1
    return made


def _settle(
    database: Database,
    clock: Clock,
    change_id: str,
    *,
    error: str | None,
    retry: bool,
    done: bool = False,
) -> None:
    with database.transaction() as db:
        row = db.get(WecomSessionChange, change_id)
        if row is None or row.status != "pending":
            return
        row.attempts += 1
        row.last_error = error[:1000] if error else None
        if done:
            row.status, row.applied_at = "done", clock.now()
        elif retry and row.attempts < MAX_ATTEMPTS:
            row.next_try_at = clock.now() + min(
                FIRST_PAUSE * (2 ** (row.attempts - 1)), LONGEST_PAUSE
            )
        else:
            row.status = "failed"
            log.warning("WeCom session change %s refused: %s", change_id, error)


def _conversation(db: Session, event: DomainEvent) -> Conversation | None:
    conversation_id = event.payload.get("conversation_id")
    if not conversation_id and event.payload.get("ticket_id"):
        ticket = db.get(Ticket, str(event.payload["ticket_id"]))
        conversation_id = ticket.conversation_id if ticket is not None else None
    return db.get(Conversation, str(conversation_id)) if conversation_id else None


def _wecom_customer(db: Session, conversation: Conversation) -> tuple[ChannelAccount, str] | None:
    """The WeCom account and the customer's external_userid on it, for a WeCom conversation."""
    if conversation.channel != CHANNEL or not conversation.channel_account_id:
        return None
    account = db.get(ChannelAccount, conversation.channel_account_id)
    if account is None or account.channel != CHANNEL or not account.enabled:
        return None
    prefix = f"{account.id}:"
    key = db.scalar(
        select(Identity.external_id).where(
            Identity.customer_id == conversation.customer_id,
            Identity.channel == CHANNEL,
            Identity.external_id.startswith(prefix, autoescape=True),
        )
    )
    return (account, key.removeprefix(prefix)) if key else None


def _servicer_of(db: Session, account: ChannelAccount, agent_id: str) -> str:
    config = account.config or {}
    staff = db.get(StaffUser, agent_id)
    for key in (agent_id, staff.username if staff is not None else None):
        value = config.get(f"{SERVICER_CONFIG_PREFIX}{key}") if key else None
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""
