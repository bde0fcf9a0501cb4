"""Replies out through the account the customer wrote to, from the outbox worker.

The notify rules queue a ``channel`` delivery addressed ``"<channel>:<identity
key>"`` for every public agent or bot message; the channel notifier hands it to
the :class:`AccountDispatcher` registered for that channel, which finds the
account named in the identity key, decrypts its secrets and calls the
channel's sender.
"""

from __future__ import annotations

from sqlalchemy import select

from yiwen.attachments.models import Attachment
from yiwen.attachments.service import FileStore
from yiwen.channels.accounts import account_view
from yiwen.channels.inbound import split_identity_key
from yiwen.channels.models import ChannelAccount
from yiwen.channels.protocol import ChannelSender, OutboundAttachment, OutboundMessage
from yiwen.core.db import Database
from yiwen.core.errors import Conflict
from yiwen.core.settings import Settings
from yiwen.notify.protocol import PermanentError


class AccountDispatcher:
    """The notify channel adapter for one channel: routes each push to its account."""

    def __init__(
        self, channel: str, sender: ChannelSender, database: Database, settings: Settings
    ) -> None:
        self.channel = channel
        self.sender = sender
        self.database = database
        self.settings = settings

    def push_text(self, external_id: str, text: str, *, idempotency_key: str) -> None:
        self.push(external_id, OutboundMessage(text=text), idempotency_key=idempotency_key)

    def push_with_attachments(
        self, external_id: str, text: str, attachment_ids: list[str], *, idempotency_key: str
    ) -> None:
        """A reply with files: the attachments are read from the file store by their ids."""
        files = FileStore(self.settings.upload_dir)
        with self.database.reading() as db:
            rows = {
                row.id: OutboundAttachment(
                    filename=row.filename,
                    content_type=row.content_type,
                    path=str(files.path_for(row.sha256)),
                )
                for row in db.scalars(select(Attachment).where(Attachment.id.in_(attachment_ids)))
            }
        attachments = tuple(rows[i] for i in attachment_ids if i in rows)
        message = OutboundMessage(text=text, attachments=attachments)
        self.push(external_id, message, idempotency_key=idempotency_key)

    def push(self, external_id: str, message: OutboundMessage, *, idempotency_key: str) -> None:
        account_id, user_id = self._address(external_id)
        with self.database.transaction() as db:
            account = db.get(ChannelAccount, account_id)
            if account is None or account.channel != self.channel:
                raise PermanentError(f"channel account {account_id!r} does not exist")
            if not account.enabled:
                raise PermanentError(f"channel account {account_id!r} is disabled")
            try:
                view = account_view(self.settings, account)
            except Conflict as exc:
                raise PermanentError("channel secrets cannot be decrypted") from exc
            # A sender that threads (email) completes the message from the database first.
            prepare = getattr(self.sender, "prepare", None)
            if prepare is not None:
                message = prepare(db, view, user_id, message, idempotency_key=idempotency_key)
        self.sender.send(view, user_id, message, idempotency_key=idempotency_key)

    def _address(self, external_id: str) -> tuple[str, str]:
        # Global identities (an email address) arrive prefixed with the conversation's
        # account by the notify rules, so they split like account-scoped ones.
        account_id, user_id = split_identity_key(external_id)
        if not account_id or not user_id:
            raise PermanentError(f"malformed {self.channel} recipient {external_id!r}")
        return account_id, user_id
