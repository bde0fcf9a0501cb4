"""SMTP failures map to the outbox's retry rules; pushes are routed by the mailbox account."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.channels.email.conftest import SHOP, Mailbox, customer_mail, poll, reading
from tests.channels.email.peers import SubmissionPeer
from tests.channels.email.test_loops_and_bounces import agent_says
from yiwen.channels.email.sender import build_sender
from yiwen.channels.models import ChannelAccount
from yiwen.channels.outbound import AccountDispatcher
from yiwen.channels.protocol import OutboundMessage
from yiwen.channels.sealing import seal
from yiwen.core.clock import FixedClock
from yiwen.core.db import Database
from yiwen.core.settings import Settings
from yiwen.notify.models import OutboxEntry
from yiwen.notify.protocol import PermanentError
from yiwen.worker.runner import Worker


def outbox(database: Database) -> list[OutboxEntry]:
    with reading(database) as db:
        return list(db.scalars(select(OutboxEntry)))


def test_a_refused_recipient_is_dead_lettered_and_a_wrong_app_password_is_retried(
    database: Database,
    clock: FixedClock,
    settings: Settings,
    mailbox: Mailbox,
    worker: Worker,
    smtp: SubmissionPeer,
) -> None:
    mailbox.deliver(customer_mail(message_id="<s.1@example.com>", clock=clock))
    poll(database, clock, settings, mailbox.account_id)
    smtp.refuse("buyer@example.com", "550 5.1.1 Mailbox does not exist")
    agent_says(database, clock, settings, "第一条回复")
    worker.run_until_idle()
    [row] = outbox(database)
    assert row.status == "dead" and "550" in (row.last_error or "")

    # A wrong 授权码 is the operator's to fix: keep trying, do not drop the reply.
    smtp.accept("buyer@example.com")
    with database.transaction() as db:
        account = db.get(ChannelAccount, mailbox.account_id)
        assert account is not None
        account.sealed_secrets = seal(settings.resolved_secret(), {"password": "wrong"})
    agent_says(database, clock, settings, "第二条回复")
    worker.run_until_idle()
    retried = [r for r in outbox(database) if r.status != "dead"]
    assert [r.status for r in retried] == ["failed"]
    assert "535" in (retried[0].last_error or "")
    assert smtp.to("buyer@example.com") == []


def test_an_email_push_without_a_mailbox_account_is_refused_for_good(
    database: Database, settings: Settings, clock: FixedClock
) -> None:
    dispatcher = AccountDispatcher(
        "email", build_sender(settings, clock, database), database, settings
    )
    with pytest.raises(PermanentError):
        dispatcher.push("buyer@example.com", OutboundMessage(text="hi"), idempotency_key="k")
    with pytest.raises(PermanentError):
        dispatcher.push(
            "no-such-account:buyer@example.com", OutboundMessage(text="hi"), idempotency_key="k"
        )


def test_a_retried_send_carries_the_same_message_id(
    database: Database,
    clock: FixedClock,
    settings: Settings,
    mailbox: Mailbox,
    smtp: SubmissionPeer,
) -> None:
    dispatcher = AccountDispatcher(
        "email", build_sender(settings, clock, database), database, settings
    )
    recipient = f"{mailbox.account_id}:buyer@example.com"
    for _attempt in range(2):
        dispatcher.push(recipient, OutboundMessage(text="您好"), idempotency_key="message:9:x")
    first, second = smtp.to("buyer@example.com")
    assert first.mail["Message-ID"] == second.mail["Message-ID"]
    assert first.login == SHOP


def test_a_link_is_an_anchor_in_the_html_part_and_title_and_url_in_the_plain_part(
    database: Database, clock: FixedClock, settings: Settings, mailbox: Mailbox
) -> None:
    sender = build_sender(settings, clock, database)
    with database.reading() as db:
        account = db.get(ChannelAccount, mailbox.account_id)
        assert account is not None
        from yiwen.channels.accounts import account_view

        view = account_view(settings, account)
    mail = sender.build_mail(
        view,
        "buyer@example.com",
        OutboundMessage(
            "兑换见[教程<1>](https://shop.example.com/h?a=1&b=2)\n谢谢", subject="回复"
        ),
        idempotency_key="k-link",
    )
    plain = mail.get_body(("plain",))
    html = mail.get_body(("html",))
    assert plain is not None and html is not None
    assert plain.get_content().strip() == "兑换见教程<1> https://shop.example.com/h?a=1&b=2\n谢谢"
    assert (
        '兑换见<a href="https://shop.example.com/h?a=1&amp;b=2">教程&lt;1&gt;</a><br>\n谢谢'
        in html.get_content()
    )
