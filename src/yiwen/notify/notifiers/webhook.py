"""Webhooks: the event as signed JSON to an admin-configured endpoint.

Headers: ``X-Yiwen-Event`` (name), ``X-Yiwen-Event-Id`` (the idempotency key:
the receiver deduplicates by it), ``X-Yiwen-Timestamp`` (Unix seconds) and
``X-Yiwen-Signature`` (``sha256=`` HMAC-SHA256 of ``timestamp + "." + body``
with the endpoint's secret). The secret is read at send time, so a rotated
secret applies to queued deliveries too, and is never copied into the outbox.
"""

from __future__ import annotations

from yiwen.core.clock import Clock
from yiwen.core.db import Database
from yiwen.core.errors import InvalidInput
from yiwen.core.settings import Settings
from yiwen.notify.models import WebhookEndpoint
from yiwen.notify.notifiers.http import SignedPoster, json_body
from yiwen.notify.protocol import Delivery, PermanentError, RetriableError
from yiwen.notify.signing import sign
from yiwen.notify.ssrf import resolve_url


class WebhookNotifier:
    kind = "webhook"

    def __init__(self, settings: Settings, clock: Clock, database: Database) -> None:
        self.settings = settings
        self.clock = clock
        self.poster = SignedPoster(settings.webhook_timeout_seconds)
        self.database = database

    def deliver(self, delivery: Delivery) -> None:
        with self.database.reading() as db:
            endpoint = db.get(WebhookEndpoint, delivery.recipient)
            if endpoint is None or not endpoint.active:
                raise PermanentError("webhook endpoint removed or disabled")
            url, secret = endpoint.url, endpoint.secret
        try:
            target = resolve_url(url, allow_private=self.settings.webhook_allow_private)
        except InvalidInput as exc:
            if exc.code == "webhook_url_unresolvable":
                raise RetriableError("webhook host does not resolve") from exc
            raise PermanentError(f"webhook URL refused: {exc.code}") from exc
        body = json_body(delivery.payload)
        timestamp = str(int(self.clock.now().timestamp()))
        headers = {
            "x-yiwen-event": delivery.event,
            "x-yiwen-event-id": delivery.idempotency_key,
            "x-yiwen-timestamp": timestamp,
            "x-yiwen-signature": sign(secret, timestamp, body),
            "user-agent": "Yiwen-Webhook/1",
        }
        self.poster.post(target, body, headers)
