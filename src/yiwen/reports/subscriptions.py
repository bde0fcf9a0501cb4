"""Report subscriptions: who gets which report when, queued once per closed period.

Queuing a period writes a ``report_runs`` row and one outbox row per recipient
in the caller's transaction. The run's unique key (subscription, period start)
and the outbox's idempotency key make a period go out once per subscription and
recipient, even when two workers race or a job is retried after a crash.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

import yiwen.reports.messages  # noqa: F401  (registers the texts)
from yiwen.auth.audit import Actor, record_audit
from yiwen.auth.models import StaffUser
from yiwen.core.clock import Clock
from yiwen.core.errors import Conflict, InvalidInput, NotFound
from yiwen.core.ids import new_id
from yiwen.core.settings import Settings
from yiwen.notify import outbox
from yiwen.notify.addresses import is_email
from yiwen.reports.mail import ReportRequest
from yiwen.reports.mailer import KIND
from yiwen.reports.models import FREQUENCIES, ReportRun, ReportSubscription
from yiwen.reports.schedule import DuePeriod, check_timezone, due_period, latest_period

log = logging.getLogger("yiwen.reports")

MAX_RECIPIENTS = 20


@dataclass
class SubscriptionInput:
    name: str
    recipients: list[str]
    frequency: str
    hour: int
    timezone: str
    agent_id: str | None = None
    active: bool = True


def _check(db: Session, data: SubscriptionInput) -> list[str]:
    recipients = list(dict.fromkeys(r.strip().lower() for r in data.recipients if r.strip()))
    if not recipients:
        raise InvalidInput("report_no_recipients")
    if len(recipients) > MAX_RECIPIENTS:
        raise InvalidInput("report_too_many_recipients", limit=MAX_RECIPIENTS)
    for recipient in recipients:
        if not is_email(recipient):
            raise InvalidInput("report_invalid_recipient", recipient=recipient[:100])
    if data.frequency not in FREQUENCIES:
        raise InvalidInput("invalid_request", detail="frequency")
    if not 0 <= data.hour <= 23:
        raise InvalidInput("invalid_request", detail="hour")
    check_timezone(data.timezone)
    if data.agent_id is not None and db.get(StaffUser, data.agent_id) is None:
        raise InvalidInput("report_unknown_agent", agent_id=data.agent_id[:40])
    return recipients


def _view(subscription: ReportSubscription) -> dict[str, object]:
    return {
        "name": subscription.name,
        "recipients": list(subscription.recipients),
        "frequency": subscription.frequency,
        "hour": subscription.hour,
        "timezone": subscription.timezone,
        "filters": dict(subscription.filters),
        "active": subscription.active,
    }


def create_subscription(
    db: Session, clock: Clock, data: SubscriptionInput, *, actor: StaffUser
) -> ReportSubscription:
    recipients = _check(db, data)
    now = clock.now()
    subscription = ReportSubscription(
        name=data.name,
        recipients=recipients,
        frequency=data.frequency,
        hour=data.hour,
        timezone=data.timezone,
        filters={"agent_id": data.agent_id} if data.agent_id else {},
        active=data.active,
        created_by=actor.id,
        created_at=now,
        updated_at=now,
    )
    db.add(subscription)
    db.flush()
    record_audit(
        db,
        clock,
        actor=Actor.staff(actor),
        action="report.subscription.create",
        target_type="report_subscription",
        target_id=subscription.id,
        after=_view(subscription),
    )
    return subscription


def get_subscription(db: Session, subscription_id: str) -> ReportSubscription:
    subscription = db.get(ReportSubscription, subscription_id)
    if subscription is None:
        raise NotFound("report_subscription_not_found")
    return subscription


def list_subscriptions(db: Session) -> list[ReportSubscription]:
    query = select(ReportSubscription).order_by(
        ReportSubscription.created_at, ReportSubscription.id
    )
    return list(db.scalars(query))


def update_subscription(
    db: Session,
    clock: Clock,
    subscription: ReportSubscription,
    data: SubscriptionInput,
    *,
    actor: StaffUser,
) -> ReportSubscription:
    before = _view(subscription)
    recipients = _check(db, data)
    subscription.name = data.name
    subscription.recipients = recipients
    subscription.frequency = data.frequency
    subscription.hour = data.hour
    subscription.timezone = data.timezone
    subscription.filters = {"agent_id": data.agent_id} if data.agent_id else {}
    subscription.active = data.active
    subscription.updated_at = clock.now()
    db.flush()
    record_audit(
        db,
        clock,
        actor=Actor.staff(actor),
        action="report.subscription.update",
        target_type="report_subscription",
        target_id=subscription.id,
        before=before,
        after=_view(subscription),
    )
    return subscription


def delete_subscription(
    db: Session, clock: Clock, subscription: ReportSubscription, *, actor: StaffUser
) -> None:
    """Delete it and its run history; mails already queued still go out."""
    record_audit(
        db,
        clock,
        actor=Actor.staff(actor),
        action="report.subscription.delete",
        target_type="report_subscription",
        target_id=subscription.id,
        before=_view(subscription),
    )
    for run in db.scalars(select(ReportRun).where(ReportRun.subscription_id == subscription.id)):
        db.delete(run)
    db.delete(subscription)
    db.flush()


def _request(subscription: ReportSubscription, period: DuePeriod, preview: bool) -> ReportRequest:
    return ReportRequest(
        name=subscription.name,
        frequency=subscription.frequency,
        first=period.first,
        last=period.last,
        agent_id=subscription.filters.get("agent_id"),
        preview=preview,
    )


def queue_due_period(db: Session, clock: Clock, subscription: ReportSubscription) -> bool:
    """Queue the subscription's due period unless it was queued before; True when queued."""
    now = clock.now()
    zone = check_timezone(subscription.timezone)
    period = due_period(
        subscription.frequency, subscription.hour, zone, now, subscription.created_at
    )
    if period is None or subscription.last_period_first == period.first:
        return False
    run = ReportRun(
        subscription_id=subscription.id,
        period_first=period.first,
        period_last=period.last,
        recipients=list(subscription.recipients),
        created_at=now,
    )
    try:
        with db.begin_nested():
            db.add(run)
            db.flush()
    except IntegrityError:
        return False  # queued already (another worker, or before a restart)
    request = _request(subscription, period, preview=False)
    for recipient in subscription.recipients:
        outbox.enqueue(
            db,
            clock,
            key=f"report:{subscription.id}:{period.first.isoformat()}:{recipient}",
            kind=KIND,
            event="report.scheduled",
            recipient=recipient,
            payload=request.payload(subscription.id),
        )
    subscription.last_period_first = period.first
    subscription.last_period_last = period.last
    subscription.last_queued_at = now
    return True


def queue_due_reports(db: Session, clock: Clock) -> int:
    """Every active subscription's due period, queued once; returns how many were queued."""
    query = select(ReportSubscription).where(ReportSubscription.active.is_(True))
    queued = 0
    for subscription in db.scalars(query):
        try:
            queued += queue_due_period(db, clock, subscription)
        except InvalidInput:
            # A time zone this system no longer knows: skip it, keep the others going.
            log.warning("report subscription %s has a bad time zone", subscription.id)
    return queued


def send_now(
    db: Session,
    clock: Clock,
    settings: Settings,
    subscription: ReportSubscription,
    *,
    actor: StaffUser,
) -> DuePeriod:
    """Queue a preview of the latest closed period to the recipients (not a scheduled run)."""
    if not settings.smtp_host:
        raise Conflict("report_email_disabled")
    zone = check_timezone(subscription.timezone)
    now: datetime = clock.now()
    period = latest_period(subscription.frequency, subscription.hour, zone, now)
    request = _request(subscription, period, preview=True)
    batch = new_id()
    for recipient in subscription.recipients:
        outbox.enqueue(
            db,
            clock,
            key=f"report-preview:{subscription.id}:{batch}:{recipient}",
            kind=KIND,
            event="report.preview",
            recipient=recipient,
            payload=request.payload(subscription.id),
        )
    record_audit(
        db,
        clock,
        actor=Actor.staff(actor),
        action="report.subscription.send_now",
        target_type="report_subscription",
        target_id=subscription.id,
        after={"from": period.first.isoformat(), "to": period.last.isoformat()},
    )
    return period
