"""SMS through a generic HTTP gateway: a signed JSON POST per message.

The body is ``{"phone", "template", "params", "text", "request_id"}``; headers
carry ``X-Api-Key``, ``X-Timestamp``, ``X-Request-Id`` (the idempotency key, for
the gateway's deduplication) and ``X-Signature`` (``sha256=`` HMAC-SHA256 of
``timestamp + "." + body`` with the API secret). Chinese gateways (Aliyun,
Tencent Cloud) sit behind a small relay speaking this shape, or get an adapter
of their own behind the same notifier protocol.

The gateway URL comes from the operator's settings, not from an admin form, so
it may be on the local network (a relay usually is).
"""

from __future__ import annotations

from yiwen.core.clock import Clock
from yiwen.core.errors import InvalidInput
from yiwen.core.settings import Settings
from yiwen.notify.addresses import is_phone
from yiwen.notify.notifiers.http import SignedPoster, json_body
from yiwen.notify.protocol import Delivery, PermanentError, RetriableError
from yiwen.notify.signing import sign
from yiwen.notify.ssrf import resolve_url


class SmsGatewayNotifier:
    kind = "sms"

    def __init__(self, settings: Settings, clock: Clock) -> None:
        self.settings = settings
        self.clock = clock
        self.poster = SignedPoster(settings.webhook_timeout_seconds)

    def deliver(self, delivery: Delivery) -> None:
        if not is_phone(delivery.recipient):
            raise PermanentError("invalid phone number")
        try:
            target = resolve_url(self.settings.sms_gateway_url, allow_private=True)
        except InvalidInput as exc:
            raise RetriableError(f"sms gateway unavailable: {exc.code}") from exc
        body = json_body(
            {
                "phone": delivery.recipient,
                "template": self.settings.sms_template,
                "params": delivery.payload.get("params", {}),
                "text": delivery.payload.get("text", ""),
                "request_id": delivery.idempotency_key,
            }
        )
        timestamp = str(int(self.clock.now().timestamp()))
        headers = {
            "x-api-key": self.settings.sms_api_key,
            "x-timestamp": timestamp,
            "x-request-id": delivery.idempotency_key,
            "x-signature": sign(self.settings.sms_api_secret, timestamp, body),
        }
        self.poster.post(target, body, headers)
