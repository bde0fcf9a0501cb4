"""Mail that must never be answered: auto-replies, mailing lists, bounces; and the reply cap.

Auto-replies and bounces are written the way real servers write them
(RFC 3834 headers, RFC 3464 delivery status reports as Postfix sends them)
and delivered into Dovecot; the bot runs as in production, so an answer
would show up as a bot message and an outbox row.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.channels.email.conftest import SHOP, Mailbox, customer_mail, poll
from tests.channels.email.peers import SubmissionPeer
from tests.channels.email.test_email_flow import text_of
from yiwen.bot.service import BotRunner
from yiwen.channels.email.models import EmailRecord
from yiwen.conversations.models import Conversation, Message
from yiwen.conversations.service import post_staff_message
from yiwen.core.clock import FixedClock
from yiwen.core.db import Database
from yiwen.core.settings import Settings
from yiwen.customers.models import Customer, Identity
from yiwen.notify.models import OutboxEntry
from yiwen.worker.runner import Worker


def agent_says(database: Database, clock: FixedClock, settings: Settings, text: str) -> None:
    with database.transaction() as db:
        conversation = db.scalar(select(Conversation))
        assert conversation is not None
        post_staff_message(
            db,
            clock,
            conversation,
            sender_type="agent",
            sender_id=None,
            sender_name="客服小李",
            body=text,
            max_chars=settings.message_max_chars,
        )


def counts(database: Database) -> dict[str, int]:
    with database.reading() as db:
        return {
            "customers": db.scalar(select(func.count()).select_from(Customer)) or 0,
            "customer_messages": db.scalar(
                select(func.count()).select_from(Message).where(Message.sender_type == "customer")
            )
            or 0,
            "bot_messages": db.scalar(
                select(func.count()).select_from(Message).where(Message.sender_type == "bot")
            )
            or 0,
            "outbox": db.scalar(select(func.count()).select_from(OutboxEntry)) or 0,
        }


def internal_notes(database: Database) -> list[str]:
    with database.reading() as db:
        return list(
            db.scalars(
                select(Message.body).where(Message.visibility == "internal").order_by(Message.id)
            )
        )


AUTO_REPLIES = {
    "auto-submitted": ({"Auto-Submitted": "auto-replied"}, "Re: 订单 202611220001 卡密没收到"),
    "x-autoreply": ({"X-Autoreply": "yes"}, "Re: 订单 202611220001 卡密没收到"),
    "x-autorespond": ({"X-Autorespond": "vacation"}, "您的来信已收到"),
    "precedence-bulk": ({"Precedence": "bulk"}, "本周特惠"),
    "list-id": ({"List-Id": "<deals.example.com>"}, "Weekly deals"),
    "subject-zh": ({}, "自动回复：我正在休假"),
    "subject-en": ({}, "Out of Office: back on Monday"),
}


@pytest.mark.parametrize("variant", sorted(AUTO_REPLIES))
def test_an_auto_reply_becomes_an_internal_note_and_is_never_answered(
    variant: str,
    database: Database,
    clock: FixedClock,
    settings: Settings,
    mailbox: Mailbox,
    worker: Worker,
    bot: BotRunner,
    smtp: SubmissionPeer,
) -> None:
    # The customer wrote first, and the bot answered.
    mailbox.deliver(customer_mail(message_id="<loop.1@example.com>", clock=clock))
    poll(database, clock, settings, mailbox.account_id)
    worker.run_until_idle()
    before = counts(database)
    mails_before = len(smtp.sent)
    assert before["bot_messages"] >= 1 and mails_before >= 1

    headers, subject = AUTO_REPLIES[variant]
    mailbox.deliver(
        customer_mail(
            subject=subject,
            body="您好，我正在休假，11月30日回来后处理您的邮件。",
            message_id=f"<auto.{variant}@example.com>",
            headers=headers,
        )
    )
    poll(database, clock, settings, mailbox.account_id)
    worker.run_until_idle()

    assert counts(database) == before, "no customer message, no bot turn, nothing queued"
    assert len(smtp.sent) == mails_before
    [note] = internal_notes(database)
    assert "自动回复" in note and "休假" in note
    with database.reading() as db:
        record = db.scalar(
            select(EmailRecord).where(EmailRecord.message_id == f"<auto.{variant}@example.com>")
        )
        assert record is not None and record.kind == "auto_reply"


def test_an_auto_reply_from_a_stranger_is_dropped_without_making_a_customer(
    database: Database, clock: FixedClock, settings: Settings, mailbox: Mailbox, bot: BotRunner
) -> None:
    mailbox.deliver(
        customer_mail(
            sender="nobody@elsewhere.example",
            subject="Automatic reply: 不在办公室",
            body="I am away.",
            headers={"Auto-Submitted": "auto-replied"},
        )
    )
    poll(database, clock, settings, mailbox.account_id)
    assert counts(database) == {
        "customers": 0,
        "customer_messages": 0,
        "bot_messages": 0,
        "outbox": 0,
    }


def postfix_bounce(original_message_id: str, recipient: str) -> bytes:
    """A delivery status notification exactly as Postfix writes one (RFC 3464)."""
    return f"""\
Return-Path: <>
From: MAILER-DAEMON@mx.shop.example.com (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender
To: {SHOP}
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
\tboundary="8C1A2E0B5.1763777101/mx.shop.example.com"
Message-Id: <20261122020501.8C1A2E0B5@mx.shop.example.com>
Date: Sun, 22 Nov 2026 10:05:01 +0800 (CST)

This is a MIME-encapsulated message.

--8C1A2E0B5.1763777101/mx.shop.example.com
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.shop.example.com.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

<{recipient}>: host mx.example.com[203.0.113.5] said: 550 5.1.1 User unknown

--8C1A2E0B5.1763777101/mx.shop.example.com
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.shop.example.com
X-Postfix-Queue-ID: 8C1A2E0B5
Arrival-Date: Sun, 22 Nov 2026 10:05:00 +0800 (CST)

Final-Recipient: rfc822; {recipient}
Original-Recipient: rfc822;{recipient}
Action: failed
Status: 5.1.1
Remote-MTA: dns; mx.example.com
Diagnostic-Code: smtp; 550 5.1.1 User unknown

--8C1A2E0B5.1763777101/mx.shop.example.com
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers

From: =?utf-8?b?5bCP5bqX5a6i5pyN?= <{SHOP}>
To: {recipient}
Subject: Re: =?utf-8?b?5Y2h5a+G?=
Message-ID: {original_message_id}

--8C1A2E0B5.1763777101/mx.shop.example.com--
""".encode()


def test_a_bounce_marks_the_mail_bouncing_holds_further_mail_and_is_not_answered(
    database: Database,
    clock: FixedClock,
    settings: Settings,
    mailbox: Mailbox,
    worker: Worker,
    bot: BotRunner,
    smtp: SubmissionPeer,
) -> None:
    mailbox.deliver(customer_mail(message_id="<b.1@example.com>", clock=clock))
    poll(database, clock, settings, mailbox.account_id)
    agent_says(database, clock, settings, "您的卡密已补发。")
    worker.run_until_idle()
    [sent] = [
        m for m in (i.mail for i in smtp.to("buyer@example.com")) if "卡密已补发" in text_of(m)
    ]
    before = counts(database)

    mailbox.deliver(postfix_bounce(sent["Message-ID"], "buyer@example.com"))
    poll(database, clock, settings, mailbox.account_id)
    worker.run_until_idle()

    after = counts(database)
    assert after == before, "the bounce is nobody's message and nothing answers it"
    with database.reading() as db:
        assert (
            db.scalar(select(Identity).where(Identity.external_id.like("mailer-daemon%"))) is None
        )
        original = db.scalar(
            select(EmailRecord).where(EmailRecord.message_id == sent["Message-ID"])
        )
        assert original is not None and original.status == "bounced"
    [note] = internal_notes(database)
    assert "退信" in note and "buyer@example.com" in note and "User unknown" in note

    # The next reply to a bouncing address is held, not sent into the void again.
    mails = len(smtp.sent)
    agent_says(database, clock, settings, "还在吗？")
    worker.run_until_idle()
    assert len(smtp.sent) == mails
    with database.reading() as db:
        held = db.scalars(select(OutboxEntry).where(OutboxEntry.status == "dead")).all()
        assert [row.last_error for row in held] == [
            "buyer@example.com bounced the last mail; held until they write"
        ]

    # Once the customer writes again, mail flows again.
    clock.advance(timedelta(minutes=10))
    mailbox.deliver(customer_mail(body="我换好邮箱设置了", message_id="<b.2@example.com>"))
    poll(database, clock, settings, mailbox.account_id)
    agent_says(database, clock, settings, "收到，已为您处理。")
    worker.run_until_idle()
    assert len(smtp.sent) > mails


def test_replies_to_one_address_are_capped_per_hour_to_break_mail_loops(
    database: Database,
    clock: FixedClock,
    settings: Settings,
    mailbox: Mailbox,
    worker: Worker,
    smtp: SubmissionPeer,
) -> None:
    with database.transaction() as db:
        from yiwen.channels.models import ChannelAccount

        account = db.get(ChannelAccount, mailbox.account_id)
        assert account is not None
        account.config = {**account.config, "max_replies_per_hour": 2}
    mailbox.deliver(customer_mail(message_id="<cap.1@example.com>", clock=clock))
    poll(database, clock, settings, mailbox.account_id)
    for text in ("第一条", "第二条", "第三条"):
        agent_says(database, clock, settings, text)
    worker.run_until_idle()
    assert len(smtp.to("buyer@example.com")) == 2
    with database.reading() as db:
        [error] = db.scalars(
            select(OutboxEntry.last_error).where(OutboxEntry.status == "dead")
        ).all()
    assert "reply limit of 2" in (error or "")
