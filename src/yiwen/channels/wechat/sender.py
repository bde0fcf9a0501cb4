"""Replies to WeChat followers by the customer-service message API, from the outbox worker.

Text goes as text messages (links as ``<a href>``, which WeChat shows as
tappable links), pictures are uploaded as temporary media and sent as
image messages, files WeChat cannot carry (PDF…) are named in the text.

Before each send the 48-hour window is checked against the follower's last
inbound message: outside it WeChat would refuse (errcode 45015), so nothing is
sent, the delivery is dead-lettered with the reason, and the agents get an
internal note in the conversation. The check and the media-id cache use the
app's database.
"""

from __future__ import annotations

from yiwen.channels.links import as_wechat_text
from yiwen.channels.media import (
    MediaRefused,
    MediaRule,
    OutboundFile,
    fits,
    media_id_for,
    read_attachment,
    send_media,
)
from yiwen.channels.models import ChannelAccount
from yiwen.channels.protocol import AccountView, OutboundMessage
from yiwen.channels.wechat import messages as _messages  # noqa: F401  (registers the texts)
from yiwen.channels.wechat.apicall import TencentApi
from yiwen.channels.wechat.client import WechatApi, WindowClosed
from yiwen.channels.wechat.tokens import shared_cache
from yiwen.channels.wechat.window import (
    WindowState,
    customer_of_follower,
    note_window_closed,
    window_state,
)
from yiwen.core.clock import Clock
from yiwen.core.db import Database
from yiwen.core.i18n import translate
from yiwen.core.settings import Settings
from yiwen.notify.protocol import PermanentError

# WeChat caps a text message at 2,048 bytes; longer replies go in several parts.
TEXT_BYTES = 2000
# Temporary image media: PNG, JPEG or GIF, at most 10 MB.
IMAGE = MediaRule("image", 10 * 1024 * 1024, frozenset({"image/png", "image/jpeg", "image/gif"}))


class WechatSender:
    channel = "wechat"

    def __init__(self, settings: Settings, clock: Clock, database: Database) -> None:
        self.settings = settings
        self.clock = clock
        self.api = WechatApi(TencentApi(shared_cache(clock)))
        # The app's database (sharing its SQLite writer lock): not this sender's to dispose.
        self.database = database

    def send(
        self,
        account: AccountView,
        external_user_id: str,
        message: OutboundMessage,
        *,
        idempotency_key: str,
    ) -> None:
        # The API has no idempotency key; the outbox's lease keeps a send to one worker.
        # Pictures are uploaded before anything is sent, so a failed upload retries the
        # delivery without the customer getting its text twice.
        state = self._check_window(account, external_user_id)
        images, notes = self._prepare_images(account, message)
        text = "\n".join(part for part in (message.text.strip(), *notes) if part)
        try:
            if text:
                for part in split_text(text):
                    self.api.send_text(account, external_user_id, as_wechat_text(part))
            for image in images:
                self._send_image(account, external_user_id, image)
        except WindowClosed:
            self._note_closed(account, external_user_id, state)
            raise

    def upload_image(self, account: AccountView, image: OutboundFile) -> str:
        """The picture's media id on this account (cached three days)."""
        return media_id_for(
            self.database,
            self.clock,
            account.id,
            image,
            IMAGE.media_type,
            lambda: self.api.upload_media(account, IMAGE.media_type, image),
        )

    def _send_image(self, account: AccountView, openid: str, image: OutboundFile) -> None:
        send_media(
            self.database,
            self.clock,
            account.id,
            image,
            IMAGE.media_type,
            lambda: self.api.upload_media(account, IMAGE.media_type, image),
            lambda media_id: self.api.send_image(account, openid, media_id),
        )

    def _prepare_images(
        self, account: AccountView, message: OutboundMessage
    ) -> tuple[list[OutboundFile], list[str]]:
        """Pictures WeChat takes, uploaded; a line for each file it would not take."""
        images: list[OutboundFile] = []
        notes: list[str] = []
        for attachment in message.attachments:
            file = read_attachment(attachment)
            if not fits(IMAGE, file):
                notes.append(translate("channel_file_not_sent", name=file.filename))
                continue
            try:
                self.upload_image(account, file)
            except MediaRefused:
                notes.append(translate("channel_file_not_sent", name=file.filename))
                continue
            images.append(file)
        return images, notes

    def close(self) -> None:
        self.api.api.close()

    def _check_window(self, account: AccountView, openid: str) -> WindowState:
        with self.database.transaction() as db:
            row = db.get(ChannelAccount, account.id)
            customer_id = customer_of_follower(db, row, openid) if row is not None else None
            if row is None or customer_id is None:
                raise PermanentError(f"no WeChat follower {openid!r} on account {account.id}")
            state = window_state(db, self.clock, account.id, customer_id)
            if not state.open:
                note_window_closed(db, self.clock, self.settings, row, customer_id, state)
        if not state.open:
            raise WindowClosed(
                "WeChat 48-hour window closed: the follower last wrote at "
                f"{state.last_inbound_at.isoformat() if state.last_inbound_at else 'never'}; "
                "customer-service messages are refused until they write again"
            )
        return state

    def _note_closed(self, account: AccountView, openid: str, state: WindowState) -> None:
        """WeChat closed the window before Yiwen's clock did (unsubscribed, quota): say so too."""
        with self.database.transaction() as db:
            row = db.get(ChannelAccount, account.id)
            customer_id = customer_of_follower(db, row, openid) if row is not None else None
            if row is not None and customer_id is not None:
                note_window_closed(db, self.clock, self.settings, row, customer_id, state)


def split_text(text: str, limit: int = TEXT_BYTES) -> list[str]:
    """Parts of at most ``limit`` UTF-8 bytes, cut at line ends where possible."""
    parts: list[str] = []
    current = ""
    for line in text.splitlines(keepends=True):
        while len(line.encode()) > limit:
            head = line
            while len(head.encode()) > limit:
                head = head[: len(head) * 3 // 4]
            if current:
                parts.append(current)
                current = ""
            parts.append(head)
            line = line[len(head) :]
        if len((current + line).encode()) > limit:
            parts.append(current)
            current = ""
        current += line
    if current or not parts:
        parts.append(current)
    return [part.rstrip("\n") or part for part in parts]


def build_sender(settings: Settings, clock: Clock, database: Database) -> WechatSender:
    return WechatSender(settings, clock, database)
