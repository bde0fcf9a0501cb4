"""What a channel adapter is, and the normalised shapes it speaks in.

Inbound, an adapter's route verifies the platform's signature, parses the
platform's payload into :class:`InboundMessage` and hands it to
:func:`yiwen.channels.inbound.receive`. Outbound, the outbox worker calls the
adapter's :meth:`ChannelSender.send` with an :class:`OutboundMessage`; the
adapter maps the platform's failures to the notifier errors
(:class:`yiwen.notify.protocol.RetriableError` / ``PermanentError``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol

# text, image (with media), voice (text = the platform's transcript), file,
# sticker (text = a fallback such as "[表情]"), event (subscribe, menu click…),
# location and link (text = a readable rendering).
InboundKind = Literal["text", "image", "voice", "file", "sticker", "event", "location", "link"]


@dataclass(frozen=True)
class InboundMedia:
    filename: str
    data: bytes
    content_type: str = "application/octet-stream"


@dataclass(frozen=True)
class InboundMessage:
    """One message as the customer sent it, whatever the platform.

    ``external_user_id`` is the sender's id on this account (openid, QQ number,
    Telegram user id, email address); ``external_msg_id`` the platform's
    message id, the key for deduplicating redeliveries.
    """

    external_user_id: str
    external_msg_id: str
    kind: InboundKind
    text: str = ""
    display_name: str | None = None
    media: tuple[InboundMedia, ...] = ()
    sent_at: datetime | None = None
    # Threading help for channels that have it (an email's References, a ticket number).
    thread_keys: tuple[str, ...] = ()
    raw: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class OutboundAttachment:
    filename: str
    content_type: str
    path: str  # where the attachment's bytes are on disk (the file store)


@dataclass(frozen=True)
class OutboundMessage:
    text: str
    attachments: tuple[OutboundAttachment, ...] = ()
    # Email threading and subject; chat channels ignore them.
    subject: str = ""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class AccountView:
    """A channel account as an adapter sees it: public config and decrypted secrets."""

    id: str
    channel: str
    name: str
    config: dict[str, object]
    secrets: dict[str, str]

    def setting(self, name: str, default: str = "") -> str:
        value = self.config.get(name, default)
        return str(value) if value is not None else default

    def secret(self, name: str) -> str:
        return self.secrets.get(name, "")


class ChannelSender(Protocol):
    """Sends one outbound message to one user of one account.

    Deliveries are at least once; pass ``idempotency_key`` to the platform
    where it deduplicates, and keep the send itself side-effect free otherwise.
    """

    channel: str

    def send(
        self,
        account: AccountView,
        external_user_id: str,
        message: OutboundMessage,
        *,
        idempotency_key: str,
    ) -> None: ...
