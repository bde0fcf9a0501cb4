"""Each notifier against a local peer speaking its protocol: SMTP (aiosmtpd), HTTP."""

from __future__ import annotations

import json
from email.utils import parseaddr

from tests.notify.conftest import add_webhook, make_contact, make_worker, outbox_rows
from tests.notify.peers import HttpPeer, SmtpPeer
from tests.notify.test_outbox import reply
from yiwen.core.clock import FixedClock
from yiwen.core.db import Database
from yiwen.core.events import emit
from yiwen.core.settings import Settings
from yiwen.notify.notifiers.email import message_id
from yiwen.notify.outbox import enqueue
from yiwen.notify.signing import sign


def test_reply_email_reaches_the_smtp_server_with_chinese_subject_and_stable_message_id(
    database: Database, clock: FixedClock, settings: Settings, mailbox: SmtpPeer
) -> None:
    contact = make_contact(database, clock, email="wang@example.com")
    reply(database, clock, contact)
    [entry] = outbox_rows(database)
    stats = make_worker(database, settings, clock).run_until_idle()
    assert stats.sent == 1
    [(mail_from, rcpt_tos, mail)] = mailbox.mails
    assert mail_from == "service@yiwen.example"
    assert rcpt_tos == ["wang@example.com"]
    assert mail["To"] == "wang@example.com"
    assert parseaddr(str(mail["From"])) == ("一问客服", "service@yiwen.example")
    assert mail["Subject"] == "【一问】客服回复了您的咨询"
    [raw] = mailbox.raw
    subject_line = next(line for line in raw.split(b"\n") if line.startswith(b"Subject:"))
    assert subject_line.lower().startswith(b"subject: =?utf-8?")  # RFC 2047, 7-bit on the wire
    assert mail["Message-ID"] == message_id(entry.idempotency_key, settings.smtp_from)
    assert "卡密已补发" in mail.get_content()
    [sent] = outbox_rows(database)
    assert (sent.status, sent.attempts, sent.sent_at) == ("sent", 1, clock.now())


def test_header_injection_through_the_subject_adds_no_header(
    database: Database, clock: FixedClock, settings: Settings, mailbox: SmtpPeer
) -> None:
    with database.transaction() as db:
        enqueue(
            db,
            clock,
            key="inject-1",
            kind="email",
            event="test",
            recipient="wang@example.com",
            payload={"subject": "工单\r\nBcc: victim@example.com\r\n\r\n伪造正文", "body": "正文"},
        )
    make_worker(database, settings, clock).run_until_idle()
    [(_, rcpt_tos, mail)] = mailbox.mails
    assert rcpt_tos == ["wang@example.com"]
    assert mail["Bcc"] is None
    assert "\n" not in str(mail["Subject"])
    assert mail.get_content().strip() == "正文"


def test_recipient_with_a_line_break_is_dead_lettered_not_sent(
    database: Database, clock: FixedClock, settings: Settings, mailbox: SmtpPeer
) -> None:
    with database.transaction() as db:
        enqueue(
            db,
            clock,
            key="inject-2",
            kind="email",
            event="test",
            recipient="wang@example.com\r\nBcc: victim@example.com",
            payload={"subject": "s", "body": "b"},
        )
    make_worker(database, settings, clock).run_until_idle()
    assert mailbox.mails == []
    [entry] = outbox_rows(database)
    assert entry.status == "dead"
    assert entry.last_error == "invalid recipient address"


def test_sms_gateway_receives_a_signed_request_it_can_verify(
    database: Database, clock: FixedClock, settings: Settings, sms_peer: HttpPeer
) -> None:
    with database.transaction() as db:
        enqueue(
            db,
            clock,
            key="sms-1",
            kind="sms",
            event="ticket.resolved",
            recipient="13800138000",
            payload={"text": "您的工单已处理完毕", "params": {"number": "YW1"}},
        )
    make_worker(database, settings, clock).run_until_idle()
    [request] = sms_peer.received
    assert request.signature_ok
    assert request.headers["x-api-key"] == settings.sms_api_key
    assert request.headers["x-request-id"] == "sms-1"
    assert request.headers["x-timestamp"] == str(int(clock.now().timestamp()))
    assert request.json() == {
        "phone": "13800138000",
        "template": "yiwen_notice",
        "params": {"number": "YW1"},
        "text": "您的工单已处理完毕",
        "request_id": "sms-1",
    }
    assert sms_peer.applied == ["sms-1"]


def test_webhook_post_is_signed_over_timestamp_and_body(
    database: Database, clock: FixedClock, settings: Settings, webhook_peer: HttpPeer
) -> None:
    add_webhook(database, clock, webhook_peer.url, secret=webhook_peer.secret, events=["sla.*"])
    with database.transaction() as db:
        emit(db, "sla.warning", ticket_id="t1", target="resolution", fraction=0.75)
    make_worker(database, settings, clock).run_until_idle()
    [request] = webhook_peer.received
    timestamp = request.headers["x-yiwen-timestamp"]
    assert request.headers["x-yiwen-signature"] == sign(
        webhook_peer.secret, timestamp, request.body
    )
    assert request.signature_ok
    document = json.loads(request.body)
    assert document["event"] == "sla.warning"
    assert document["data"] == {"ticket_id": "t1", "target": "resolution", "fraction": 0.75}
    assert request.headers["x-yiwen-event"] == "sla.warning"
    [entry] = outbox_rows(database)
    assert request.headers["x-yiwen-event-id"] == entry.idempotency_key
    assert entry.status == "sent"


def test_a_tampered_body_fails_the_receivers_check(webhook_peer: HttpPeer) -> None:
    body = b'{"event":"ticket.resolved"}'
    good = sign(webhook_peer.secret, "1700000000", body)
    assert good.startswith("sha256=")
    assert sign(webhook_peer.secret, "1700000000", body + b" ") != good
    assert sign(webhook_peer.secret, "1700000001", body) != good


def test_a_redirect_is_not_followed(
    database: Database, clock: FixedClock, settings: Settings, webhook_peer: HttpPeer
) -> None:
    add_webhook(database, clock, webhook_peer.url, secret=webhook_peer.secret, events=[])
    webhook_peer.statuses.extend([302])
    with database.transaction() as db:
        emit(db, "ticket.reopened", ticket_id="missing")
    make_worker(database, settings, clock).run_until_idle()
    assert len(webhook_peer.received) == 1
    [entry] = outbox_rows(database)
    assert (entry.status, entry.last_error) == ("dead", "HTTP 302")
