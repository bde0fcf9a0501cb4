"""Admin-configured webhook endpoints: checked against SSRF when saved, audited."""

from __future__ import annotations

import re
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from yiwen.auth.audit import Actor, record_audit
from yiwen.core.clock import Clock
from yiwen.core.errors import InvalidInput, NotFound
from yiwen.core.settings import Settings
from yiwen.notify import messages as _messages  # noqa: F401  (registers the error texts)
from yiwen.notify.models import WebhookEndpoint
from yiwen.notify.ssrf import resolve_url

_EVENT_FILTER = re.compile(r"^[a-z][a-z_]*(\.[a-z_]+)*(\.\*)?$")


def check_event_filters(events: list[str]) -> list[str]:
    for item in events:
        if not _EVENT_FILTER.fullmatch(item):
            raise InvalidInput("webhook_events_invalid", event=item[:64])
    return list(dict.fromkeys(events))


def create_webhook(
    db: Session,
    clock: Clock,
    settings: Settings,
    *,
    url: str,
    events: list[str],
    description: str,
    secret: str | None,
    actor: Actor,
) -> WebhookEndpoint:
    """A new endpoint; the secret is generated unless given, and shown only in this answer."""
    events = check_event_filters(events)
    resolve_url(url, allow_private=settings.webhook_allow_private)
    now = clock.now()
    endpoint = WebhookEndpoint(
        url=url,
        secret=secret or secrets.token_urlsafe(32),
        events=events,
        description=description,
        active=True,
        created_at=now,
        updated_at=now,
    )
    db.add(endpoint)
    db.flush()
    record_audit(
        db,
        clock,
        actor=actor,
        action="notify.webhook.create",
        target_type="webhook",
        target_id=endpoint.id,
        after=_public(endpoint),
    )
    return endpoint


def update_webhook(
    db: Session,
    clock: Clock,
    settings: Settings,
    webhook_id: str,
    *,
    actor: Actor,
    url: str | None = None,
    events: list[str] | None = None,
    description: str | None = None,
    active: bool | None = None,
    secret: str | None = None,
) -> WebhookEndpoint:
    endpoint = get_webhook(db, webhook_id)
    before = _public(endpoint)
    if url is not None:
        resolve_url(url, allow_private=settings.webhook_allow_private)
        endpoint.url = url
    if events is not None:
        endpoint.events = check_event_filters(events)
    if description is not None:
        endpoint.description = description
    if active is not None:
        endpoint.active = active
    if secret is not None:
        endpoint.secret = secret
    endpoint.updated_at = clock.now()
    db.flush()
    after = _public(endpoint)
    if secret is not None:
        after["secret_rotated"] = True
    record_audit(
        db,
        clock,
        actor=actor,
        action="notify.webhook.update",
        target_type="webhook",
        target_id=endpoint.id,
        before=before,
        after=after,
    )
    return endpoint


def delete_webhook(db: Session, clock: Clock, webhook_id: str, *, actor: Actor) -> None:
    """Removes the endpoint; its queued deliveries die at their next attempt."""
    endpoint = get_webhook(db, webhook_id)
    record_audit(
        db,
        clock,
        actor=actor,
        action="notify.webhook.delete",
        target_type="webhook",
        target_id=endpoint.id,
        before=_public(endpoint),
    )
    db.delete(endpoint)
    db.flush()


def get_webhook(db: Session, webhook_id: str) -> WebhookEndpoint:
    endpoint = db.get(WebhookEndpoint, webhook_id)
    if endpoint is None:
        raise NotFound("webhook_not_found")
    return endpoint


def list_webhooks(db: Session) -> list[WebhookEndpoint]:
    """All endpoints (an admin configures a handful, not thousands)."""
    query = select(WebhookEndpoint).order_by(WebhookEndpoint.created_at, WebhookEndpoint.id)
    return list(db.scalars(query.limit(500)))


def _public(endpoint: WebhookEndpoint) -> dict[str, object]:
    """What the audit log keeps: never the secret."""
    return {
        "url": endpoint.url,
        "events": list(endpoint.events),
        "description": endpoint.description,
        "active": endpoint.active,
    }
