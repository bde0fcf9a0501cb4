"""One customer across channels, through the real adapters: a follower writes on WeChat
(a signed push to the webhook), proves an email address with the code mailed to it, then
mails the shop's mailbox (read by IMAP from Dovecot). The console shows one customer with
both conversations; a stranger who only typed the same order number is linked to nothing.

WeChat is played by ``tests.channels.wechat.peer`` (pushes signed as WeChat signs them,
its API on a loopback HTTP server); the mailbox is a real Dovecot.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.channels.email.conftest import Mailbox, customer_mail, poll
from tests.channels.wechat.peer import AES_KEY, APP_ID, APP_SECRET, TOKEN, ApiPeer, WechatServer
from tests.channels.wechat.peer import wechat_api_peer as make_peer
from tests.factories import StaffTeam, login_headers
from tests.identity.helpers import sent_code
from yiwen.auth.audit import Actor
from yiwen.bot import service as bot_service
from yiwen.channels.accounts import create_account
from yiwen.conversations.models import Conversation
from yiwen.core.clock import FixedClock
from yiwen.core.db import Database
from yiwen.core.settings import Settings
from yiwen.customers.models import Identity
from yiwen.identity import codes
from yiwen.store.connectors.demo.connector import DemoStoreConnector

BUYER = "oBuyer000000000000000000001"
STRANGER = "oStranger0000000000000000002"
ADDRESS = "li.lei@example.com"


@pytest.fixture
def wechat_api() -> Iterator[ApiPeer]:
    peer = make_peer().start()
    yield peer
    peer.stop()


def wechat_account(database: Database, clock: FixedClock, settings: Settings, peer: ApiPeer) -> str:
    with database.transaction() as db:
        return create_account(
            db,
            clock,
            settings,
            channel="wechat",
            name="小店公众号",
            config={"app_id": APP_ID, "encrypt_mode": "plain", "api_base": peer.base},
            secrets={"token": TOKEN, "encoding_aes_key": AES_KEY, "app_secret": APP_SECRET},
            actor=Actor.system(),
        ).id


def conversation_of(
    database: Database, channel: str, customer_id: str | None = None
) -> Conversation:
    with database.reading() as db:
        query = select(Conversation).where(Conversation.channel == channel)
        if customer_id is not None:
            query = query.where(Conversation.customer_id == customer_id)
        found = db.scalars(query).one()
        db.expunge_all()
        return found


def test_wechat_then_email_after_a_code_is_one_history_and_a_stranger_gets_nothing(
    client: TestClient,
    database: Database,
    clock: FixedClock,
    settings: Settings,
    mailbox: Mailbox,
    wechat_api: ApiPeer,
    demo: DemoStoreConnector,
    team: StaffTeam,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(bot_service, "handle_customer_message", lambda *a, **k: False)
    order_no = demo.example_orders()["push_failed"].order_no
    account_id = wechat_account(database, clock, settings, wechat_api)
    wechat = WechatServer()
    pushed = wechat.push(
        client, account_id, wechat.text(BUYER, f"订单 {order_no} 卡密没收到", "51001")
    )
    assert pushed.status_code == 200
    buyer = conversation_of(database, "wechat").customer_id

    # A stranger on the same account types the buyer's order number: nothing links.
    wechat.push(client, account_id, wechat.text(STRANGER, f"我的订单是 {order_no}", "51002"))
    with database.reading() as db:
        stranger = db.scalars(
            select(Conversation.customer_id).where(
                Conversation.channel == "wechat", Conversation.customer_id != buyer
            )
        ).one()

    # The buyer proves the address with the code mailed to it (the bot drives these calls).
    with database.transaction() as db:
        sent = codes.send_code(db, clock, settings, customer_id=buyer, contact=ADDRESS)
        verification_id = sent.attempt.id
    _kind, recipient, code = sent_code(database, verification_id)
    assert recipient == ADDRESS
    with database.transaction() as db:
        checked = codes.check_code(
            db, clock, settings, customer_id=buyer, attempt_id=verification_id, code=code
        )
        assert checked.outcome == "confirmed"

    # Then writes to the shop's mailbox; the poll reads it over IMAP.
    mailbox.deliver(
        customer_mail(
            sender=f"李雷 <{ADDRESS}>",
            subject=f"订单 {order_no} 还是没到",
            body="邮件补充：付款截图稍后发",
            message_id="<buyer.1@example.com>",
        )
    )
    assert poll(database, clock, settings, mailbox.account_id) == 1
    by_mail = conversation_of(database, "email")
    assert by_mail.customer_id == buyer
    by_wechat = conversation_of(database, "wechat", buyer)

    staff = login_headers(client, team.l1.username)
    history = client.get(f"/api/v1/customers/{buyer}/history", headers=staff)
    assert history.status_code == 200, history.text
    body = history.json()
    assert {(c["id"], c["channel"]) for c in body["conversations"]} == {
        (by_wechat.id, "wechat"),
        (by_mail.id, "email"),
    }
    lines = [m["body"] for m in body["messages"] if m["sender_type"] == "customer"]
    assert lines[0] == f"订单 {order_no} 卡密没收到"
    assert lines[-1].endswith("邮件补充：付款截图稍后发")

    inbox = client.get("/api/v1/inbox/conversations", headers=staff)
    assert inbox.status_code == 200, inbox.text
    owners = {item["id"]: item["customer_id"] for item in inbox.json()["items"]}
    assert owners[by_wechat.id] == owners[by_mail.id] == buyer

    # The console sees WeChat's 48-hour window on the WeChat thread, none on the mail thread.
    thread = client.get(f"/api/v1/conversations/{by_wechat.id}", headers=staff).json()
    assert thread["channel_window"]["channel"] == "wechat"
    assert thread["channel_window"]["open"] is True
    assert thread["channel_window"]["closes_at"] is not None
    mail_thread = client.get(f"/api/v1/conversations/{by_mail.id}", headers=staff).json()
    assert mail_thread["channel_window"] is None

    # The stranger's record holds only their own WeChat identity and conversation.
    other = client.get(f"/api/v1/customers/{stranger}/history", headers=staff).json()
    assert [c["channel"] for c in other["conversations"]] == ["wechat"]
    assert all(m["conversation_id"] not in (by_wechat.id, by_mail.id) for m in other["messages"])
    with database.reading() as db:
        theirs = db.scalars(select(Identity.channel).where(Identity.customer_id == stranger))
        assert list(theirs) == ["wechat"]
