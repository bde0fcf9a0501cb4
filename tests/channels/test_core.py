"""The channel core: accounts with sealed secrets, deduplicated inbound, routed outbound.

The recording sender below stands in for a platform's API only to prove the
routing (which account, which user, which key); each adapter's own tests talk
to a local peer that speaks its platform's protocol.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.factories import StaffTeam, login_headers
from yiwen.auth.audit import Actor, AuditEntry
from yiwen.channels.accounts import account_view, create_account
from yiwen.channels.inbound import receive
from yiwen.channels.models import ChannelAccount, InboundReceipt
from yiwen.channels.outbound import AccountDispatcher
from yiwen.channels.protocol import AccountView, InboundMedia, InboundMessage, OutboundMessage
from yiwen.channels.sealing import SealError, seal, unseal
from yiwen.conversations.models import Conversation, Message
from yiwen.conversations.service import post_staff_message
from yiwen.core.clock import FixedClock
from yiwen.core.db import Database
from yiwen.core.settings import Settings
from yiwen.customers.models import Identity
from yiwen.notify.models import OutboxEntry
from yiwen.notify.protocol import PermanentError
from yiwen.notify.registry import build_notifiers
from yiwen.notify.rules import PUSH_CHANNELS
from yiwen.worker.runner import Worker

BASE = "/api/v1/admin/channels"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)


@dataclass
class RecordingSender:
    channel: str = "qq"
    sent: list[tuple[str, str, str, str]] = field(default_factory=list)

    def send(
        self,
        account: AccountView,
        external_user_id: str,
        message: OutboundMessage,
        *,
        idempotency_key: str,
    ) -> None:
        self.sent.append(
            (account.id, account.secret("access_token"), external_user_id, message.text)
        )


def make_account(
    database: Database,
    clock: FixedClock,
    settings: Settings,
    *,
    channel: str = "qq",
    name: str = "QQ",
) -> str:
    with database.transaction() as db:
        account = create_account(
            db,
            clock,
            settings,
            channel="qq",
            name=name,
            config={"api_base": "http://127.0.0.1:9"},
            secrets={"access_token": f"token-of-{name}"},
            actor=Actor.system(),
        )
        return account.id


def text_from(user: str, msg_id: str, text: str = "卡密没收到") -> InboundMessage:
    return InboundMessage(external_user_id=user, external_msg_id=msg_id, kind="text", text=text)


def test_secrets_are_sealed_at_rest_and_only_the_server_secret_opens_them() -> None:
    sealed = seal("server-secret-1", {"token": "s3cr3t-value"})
    assert "s3cr3t-value" not in sealed
    assert unseal("server-secret-1", sealed) == {"token": "s3cr3t-value"}
    with pytest.raises(SealError):
        unseal("another-server-secret", sealed)
    tampered = sealed[:-6] + ("A" if sealed[-6] != "A" else "B") + sealed[-5:]
    with pytest.raises(SealError):
        unseal("server-secret-1", tampered)


def test_an_admin_creates_an_account_and_its_secrets_are_never_shown_or_audited(
    client: TestClient, team: StaffTeam, database: Database
) -> None:
    headers = login_headers(client, "admin")
    response = client.post(
        BASE,
        json={
            "channel": "telegram",
            "name": "店铺机器人",
            "config": {"api_base": "http://127.0.0.1:1"},
            "secrets": {"bot_token": "123:ABC-very-secret", "webhook_secret": "hook-secret"},
        },
        headers=headers,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["secret_names"] == ["bot_token", "webhook_secret"]
    assert body["webhook_path"] == f"/channels/telegram/{body['id']}"
    assert "very-secret" not in response.text
    with database.reading() as db:
        row = db.get(ChannelAccount, body["id"])
        assert row is not None and "very-secret" not in row.sealed_secrets
        audit = [
            (entry.action, str(entry.after))
            for entry in db.scalars(select(AuditEntry).where(AuditEntry.target_id == body["id"]))
        ]
    assert [action for action, _ in audit] == ["channel.account.create"]
    assert "very-secret" not in audit[0][1]

    # Replacing one secret and removing another keeps the rest.
    patched = client.patch(
        f"{BASE}/{body['id']}",
        json={"secrets": {"webhook_secret": "", "bot_token": "456:NEW"}, "enabled": False},
        headers=headers,
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["secret_names"] == ["bot_token"]
    assert patched.json()["enabled"] is False


def test_an_agent_cannot_see_or_create_channel_accounts(
    client: TestClient, team: StaffTeam, database: Database
) -> None:
    headers = login_headers(client, "l1")
    assert client.get(BASE, headers=headers).status_code == 403
    refused = client.post(BASE, json={"channel": "qq", "name": "x"}, headers=headers)
    assert refused.status_code == 403
    with database.reading() as db:
        assert db.scalar(select(func.count()).select_from(ChannelAccount)) == 0


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"channel": "myspace", "name": "x"}, "channel_unknown"),
        ({"channel": "qq", "name": "   "}, "channel_account_name_required"),
        ({"channel": "qq", "name": "x", "config": {"k": "a\x00b"}}, "channel_config_invalid"),
    ],
)
def test_bad_account_input_is_a_4xx_with_a_chinese_message(
    client: TestClient, team: StaffTeam, payload: dict[str, object], code: str
) -> None:
    response = client.post(BASE, json=payload, headers=login_headers(client, "admin"))
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert any("\u4e00" <= ch <= "\u9fff" for ch in error["message"])


def test_a_redelivered_message_is_stored_once(
    database: Database, clock: FixedClock, settings: Settings
) -> None:
    account_id = make_account(database, clock, settings)
    results = []
    for _ in range(3):
        with database.transaction() as db:
            account = db.get(ChannelAccount, account_id)
            assert account is not None
            results.append(receive(db, clock, settings, account, text_from("10001", "m-1")))
    assert [r.duplicate for r in results] == [False, True, True]
    assert len({r.message_id for r in results}) == 1
    with database.reading() as db:
        assert db.scalar(select(func.count()).select_from(Message)) == 1
        assert db.scalar(select(func.count()).select_from(InboundReceipt)) == 1
        conversation = db.get(Conversation, results[0].conversation_id)
        assert conversation is not None
        assert conversation.channel == "qq" and conversation.channel_account_id == account_id


def test_the_same_user_id_on_two_accounts_is_two_customers_and_follow_ups_join_the_thread(
    database: Database, clock: FixedClock, settings: Settings
) -> None:
    first = make_account(database, clock, settings, name="A")
    second = make_account(database, clock, settings, name="B")
    with database.transaction() as db:
        a = db.get(ChannelAccount, first)
        b = db.get(ChannelAccount, second)
        assert a is not None and b is not None
        one = receive(db, clock, settings, a, text_from("777", "x1"))
        again = receive(db, clock, settings, a, text_from("777", "x2", "订单号 K3F9ZQ2M8TX1B7RA"))
        other = receive(db, clock, settings, b, text_from("777", "x1"))
    assert one.conversation_id == again.conversation_id
    assert other.customer_id != one.customer_id
    with database.reading() as db:
        keys = set(db.scalars(select(Identity.external_id)))
    assert keys == {f"{first}:777", f"{second}:777"}


def test_media_is_kept_as_evidence_and_what_cannot_be_kept_is_named(
    database: Database, clock: FixedClock, settings: Settings
) -> None:
    account_id = make_account(database, clock, settings)
    inbound = InboundMessage(
        external_user_id="10001",
        external_msg_id="img-1",
        kind="image",
        media=(
            InboundMedia("shot.png", PNG, "image/png"),
            InboundMedia("run.exe", b"MZ\x90\x00" + b"\x00" * 60, "application/octet-stream"),
        ),
    )
    with database.transaction() as db:
        account = db.get(ChannelAccount, account_id)
        assert account is not None
        result = receive(db, clock, settings, account, inbound)
    with database.reading() as db:
        message = db.get(Message, result.message_id)
        assert message is not None
        assert len(message.attachment_ids) == 1
        assert message.body.startswith("[图片]")
        assert "run.exe" in message.body


def test_a_reply_goes_out_through_the_account_the_customer_wrote_to(
    database: Database, clock: FixedClock, settings: Settings
) -> None:
    first = make_account(database, clock, settings, name="A")
    second = make_account(database, clock, settings, name="B")
    database.context[PUSH_CHANNELS] = frozenset({"qq"})
    with database.transaction() as db:
        b = db.get(ChannelAccount, second)
        assert b is not None
        received = receive(db, clock, settings, b, text_from("555", "m-9"))
        conversation = db.get(Conversation, received.conversation_id)
        assert conversation is not None
        post_staff_message(
            db,
            clock,
            conversation,
            sender_type="agent",
            sender_id=None,
            sender_name="小一",
            body="已为您补发",
            max_chars=settings.message_max_chars,
        )
    sender = RecordingSender()
    dispatcher = AccountDispatcher("qq", sender, database, settings)
    notifiers = build_notifiers(settings, clock, database, channel_adapters={"qq": dispatcher})
    Worker(database, clock, settings, notifiers).run_until_idle()
    [(account_id, token, user, text)] = sender.sent
    assert (account_id, token, user) == (second, "token-of-B", "555")
    assert "已为您补发" in text
    assert first != second
    with database.reading() as db:
        statuses = set(db.scalars(select(OutboxEntry.status).where(OutboxEntry.kind == "channel")))
    assert statuses == {"sent"}


def test_a_push_to_a_disabled_or_unknown_account_is_refused_for_good(
    database: Database, clock: FixedClock, settings: Settings
) -> None:
    account_id = make_account(database, clock, settings)
    with database.transaction() as db:
        account = db.get(ChannelAccount, account_id)
        assert account is not None
        account.enabled = False
        assert account_view(settings, account).secret("access_token") == "token-of-QQ"
    dispatcher = AccountDispatcher("qq", RecordingSender(), database, settings)
    with pytest.raises(PermanentError, match="disabled"):
        dispatcher.push_text(f"{account_id}:1", "hi", idempotency_key="k")
    with pytest.raises(PermanentError, match="does not exist"):
        dispatcher.push_text("nope:1", "hi", idempotency_key="k")
    with pytest.raises(PermanentError, match="malformed"):
        dispatcher.push_text("no-separator", "hi", idempotency_key="k")
