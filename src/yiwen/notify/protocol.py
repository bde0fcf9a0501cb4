"""What a notifier is: the worker hands it one delivery; it sends it or says why not.

A notifier translates a delivery into its protocol (SMTP, an SMS gateway's HTTP
API, a webhook POST, a chat channel's API) and maps that protocol's failures to
one of two errors, so the worker knows whether trying again can help.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class Delivery:
    """One claimed outbox row, as a notifier sees it."""

    id: str
    idempotency_key: str
    kind: str
    event: str
    recipient: str
    payload: dict[str, object] = field(default_factory=dict)
    attempt: int = 1


class DeliveryError(Exception):
    """A delivery that did not go through; ``reason`` ends up in the row's last_error."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RetriableError(DeliveryError):
    """Worth another attempt (timeouts, 5xx, 429, a 4xx SMTP reply).

    ``delay`` is the receiver's own hint (Retry-After) in seconds; without it the
    worker backs off exponentially.
    """

    def __init__(self, reason: str, *, delay: float | None = None) -> None:
        super().__init__(reason)
        self.delay = delay


class PermanentError(DeliveryError):
    """Trying again cannot help (address refused, endpoint removed, 4xx): dead-letter it."""


class Notifier(Protocol):
    """Sends one kind of delivery (``email``, ``sms``, ``webhook``, ``channel``)."""

    kind: str

    def deliver(self, delivery: Delivery) -> None:
        """Send it or raise :class:`RetriableError` / :class:`PermanentError`.

        Deliveries are at least once: the same idempotency key may come twice
        after a crash, so pass it to the receiver wherever the protocol lets it
        deduplicate (a header, the Message-ID).
        """
        ...


class ChannelAdapter(Protocol):
    """A customer channel (WeChat, QQ, Telegram…) able to push a text to one of its users.

    Channel adapters come with the channels issue; they plug into the channel
    notifier through the registry in the wiring, keyed by ``channel``.
    """

    channel: str

    def push_text(self, external_id: str, text: str, *, idempotency_key: str) -> None: ...

    # Optional: ``push_with_attachments(external_id, text, attachment_ids, *,
    # idempotency_key)`` for adapters that can send files; used when a reply has any.
