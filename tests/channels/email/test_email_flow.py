"""A customer's mail through Yiwen and back: IMAP (Dovecot) in, SMTP (aiosmtpd) out.

Both peers are real servers speaking their protocols on loopback; the mails
are built with the standard library exactly as a mail client sends them.
"""

from __future__ import annotations

from email.message import EmailMessage

from sqlalchemy import select

from tests.channels.email.conftest import SHOP, Mailbox, customer_mail, poll, reading
from tests.channels.email.peers import SubmissionPeer
from yiwen.attachments.models import Attachment
from yiwen.attachments.service import FileStore
from yiwen.auth.audit import Actor
from yiwen.bot.service import BotRunner
from yiwen.channels.email.models import EmailRecord
from yiwen.conversations.models import Conversation, Message
from yiwen.conversations.service import post_staff_message, start_conversation
from yiwen.core.clock import FixedClock
from yiwen.core.db import Database
from yiwen.core.settings import Settings
from yiwen.customers.models import Customer, Identity
from yiwen.notify.models import OutboxEntry
from yiwen.tickets.service import NewTicket, open_ticket
from yiwen.worker.runner import Worker

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)


def conversations(database: Database) -> list[Conversation]:
    with reading(database) as db:
        return list(db.scalars(select(Conversation).order_by(Conversation.created_at)))


def messages(database: Database, conversation_id: str | None = None) -> list[Message]:
    with reading(database) as db:
        query = select(Message).order_by(Message.id)
        if conversation_id is not None:
            query = query.where(Message.conversation_id == conversation_id)
        return list(db.scalars(query))


def mails_to(smtp: SubmissionPeer, address: str) -> list[EmailMessage]:
    """What reached ``address``; every one sent logged in to the shop's own mailbox."""
    sent = smtp.to(address)
    assert all(item.login == SHOP and item.mail_from == SHOP for item in sent)
    return [item.mail for item in sent]


def text_of(mail: EmailMessage) -> str:
    body = mail.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def agent_reply(
    database: Database, clock: FixedClock, settings: Settings, conversation_id: str, text: str
) -> int:
    with database.transaction() as db:
        conversation = db.get(Conversation, conversation_id)
        assert conversation is not None
        message = post_staff_message(
            db,
            clock,
            conversation,
            sender_type="agent",
            sender_id=None,
            sender_name="客服小李",
            body=text,
            max_chars=settings.message_max_chars,
        )
        return message.id


def test_a_mail_becomes_a_conversation_and_the_bots_answer_goes_back_in_the_thread(
    database: Database,
    clock: FixedClock,
    settings: Settings,
    mailbox: Mailbox,
    smtp: SubmissionPeer,
    worker: Worker,
    bot: BotRunner,
) -> None:
    raw = customer_mail(message_id="<first.1@example.com>", clock=clock)
    mailbox.deliver(raw)

    assert poll(database, clock, settings, mailbox.account_id) == 1

    [conversation] = conversations(database)
    assert conversation.channel == "email"
    assert conversation.channel_account_id == mailbox.account_id
    with reading(database) as db:
        identity = db.scalar(
            select(Identity).where(Identity.customer_id == conversation.customer_id)
        )
    assert identity is not None and identity.external_id == "buyer@example.com"
    thread = messages(database, conversation.id)
    first = thread[0]
    assert first.sender_type == "customer"
    assert first.body.startswith("订单 202611220001 卡密没收到")  # the subject leads a new thread
    assert "还没收到卡密" in first.body
    bot_lines = [m for m in thread if m.sender_type == "bot" and m.visibility == "public"]
    assert bot_lines, "the bot answered the mail"

    worker.run_until_idle()
    replies = mails_to(smtp, "buyer@example.com")
    assert len(replies) == len(bot_lines)
    for reply in replies:
        assert reply["From"].addresses[0].addr_spec == SHOP
        assert str(reply["Subject"]).startswith("Re: 订单 202611220001 卡密没收到")
        assert reply["In-Reply-To"] == "<first.1@example.com>"
        assert "<first.1@example.com>" in reply["References"]
        assert reply["Message-ID"].startswith("<yiwen.") and reply["Message-ID"].endswith(
            "@shop.example.com>"
        )
        assert reply["Auto-Submitted"] == "auto-replied"
    bodies = [text_of(reply) for reply in replies]
    assert any(line.body in body for line in bot_lines for body in bodies)
    with reading(database) as db:
        kinds = {row.kind for row in db.scalars(select(OutboxEntry))}
    assert "email" not in kinds, "the generic email notifier must not mail this customer too"


def test_an_agent_reply_is_mailed_once_from_the_shop_mailbox_with_its_attachment(
    database: Database,
    clock: FixedClock,
    settings: Settings,
    mailbox: Mailbox,
    smtp: SubmissionPeer,
    worker: Worker,
) -> None:
    mailbox.deliver(customer_mail(message_id="<ask.1@example.com>", clock=clock))
    poll(database, clock, settings, mailbox.account_id)
    [conversation] = conversations(database)
    with database.transaction() as db:
        customer = db.get(Customer, conversation.customer_id)
        ticket = open_ticket(
            db,
            clock,
            NewTicket(
                customer_id=conversation.customer_id,
                channel="email",
                category="delivery_missing",
                subject="卡密未到账",
                conversation_id=conversation.id,
            ),
            actor=Actor.system(),
            prefix=settings.ticket_number_prefix,
        )
        number = ticket.number
        assert customer is not None
    with database.transaction() as db:
        files = FileStore(settings.upload_dir)
        import io

        from yiwen.attachments.service import store_attachment

        attachment = store_attachment(
            db,
            clock,
            files,
            io.BytesIO(PNG),
            filename="补发截图.png",
            limit=settings.upload_max_bytes,
            customer_id=conversation.customer_id,
            uploaded_by_type="staff",
            uploaded_by_id="agent",
            conversation_id=conversation.id,
        )
        conv = db.get(Conversation, conversation.id)
        assert conv is not None
        post_staff_message(
            db,
            clock,
            conv,
            sender_type="agent",
            sender_id=None,
            sender_name="客服小李",
            body="您好，卡密已补发，请查收附件截图。",
            max_chars=settings.message_max_chars,
            attachment_ids=[attachment.id],
        )

    worker.run_until_idle()
    replies = [m for m in mails_to(smtp, "buyer@example.com") if "卡密已补发" in text_of(m)]
    assert len(replies) == 1, "one mail per reply: never by the channel and the notifier both"
    [reply] = replies
    assert reply["Subject"] == f"Re: 订单 202611220001 卡密没收到 [{number}]"
    assert reply["In-Reply-To"] == "<ask.1@example.com>"
    assert "Auto-Submitted" not in reply, "a person wrote it"
    [attached] = list(reply.iter_attachments())
    assert attached.get_filename() == "补发截图.png"
    assert attached.get_content() == PNG
    with reading(database) as db:
        rows = list(db.scalars(select(OutboxEntry)))
    assert {row.kind for row in rows} == {"channel"}
    assert all(row.recipient.startswith(f"email:{mailbox.account_id}:") for row in rows)


def test_the_customers_reply_threads_by_in_reply_to_even_with_a_newer_conversation_open(
    database: Database,
    clock: FixedClock,
    settings: Settings,
    mailbox: Mailbox,
    smtp: SubmissionPeer,
    worker: Worker,
) -> None:
    mailbox.deliver(customer_mail(message_id="<q.1@example.com>", clock=clock))
    poll(database, clock, settings, mailbox.account_id)
    [first] = conversations(database)
    agent_reply(database, clock, settings, first.id, "请提供支付截图。")
    worker.run_until_idle()
    [sent] = mails_to(smtp, "buyer@example.com")
    # A second, newer conversation on the same mailbox: the fallback would pick it.
    with database.transaction() as db:
        customer = db.get(Customer, first.customer_id)
        assert customer is not None
        newer, _ = start_conversation(db, clock, customer, channel="email")
        newer.channel_account_id = mailbox.account_id
        clock.advance(__import__("datetime").timedelta(minutes=5))
        newer.last_message_at = clock.now()
        newer_id = newer.id

    quoted = (
        "截图在附件里。\n\n"
        "在 2026年11月22日 10:05，小店客服 <kefu@shop.example.com> 写道：\n"
        "> 请提供支付截图。\n"
    )
    mailbox.deliver(
        customer_mail(
            subject=f"Re: {sent['Subject']}",
            body=quoted,
            message_id="<q.2@example.com>",
            in_reply_to=sent["Message-ID"],
            references=f"<q.1@example.com> {sent['Message-ID']}",
            attachments=[("支付截图.png", "image/png", PNG)],
        )
    )
    poll(database, clock, settings, mailbox.account_id)

    reply = messages(database, first.id)[-1]
    assert reply.sender_type == "customer"
    assert reply.body == "截图在附件里。", "the quoted history is trimmed"
    assert messages(database, newer_id) == []
    with reading(database) as db:
        [attachment] = list(db.scalars(select(Attachment)))
    assert attachment.filename == "支付截图.png"
    assert attachment.conversation_id == first.id
    assert reply.attachment_ids == [attachment.id]
    assert FileStore(settings.upload_dir).path_for(attachment.sha256).read_bytes() == PNG


def test_a_reply_with_its_headers_stripped_threads_by_the_ticket_number_in_the_subject(
    database: Database, clock: FixedClock, settings: Settings, mailbox: Mailbox
) -> None:
    mailbox.deliver(customer_mail(message_id="<t.1@example.com>", clock=clock))
    poll(database, clock, settings, mailbox.account_id)
    [first] = conversations(database)
    with database.transaction() as db:
        ticket = open_ticket(
            db,
            clock,
            NewTicket(
                customer_id=first.customer_id,
                channel="email",
                category="delivery_missing",
                subject="卡密未到账",
                conversation_id=first.id,
            ),
            actor=Actor.system(),
            prefix=settings.ticket_number_prefix,
        )
        number = ticket.number
        customer = db.get(Customer, first.customer_id)
        assert customer is not None
        newer, _ = start_conversation(db, clock, customer, channel="email")
        newer.channel_account_id = mailbox.account_id
        clock.advance(__import__("datetime").timedelta(minutes=5))
        newer.last_message_at = clock.now()
        newer_id = newer.id

    mailbox.deliver(
        customer_mail(
            subject=f"回复：订单 202611220001 卡密没收到 [{number}]",
            body="还是没有收到。",
            message_id="<t.2@example.com>",
        )
    )
    poll(database, clock, settings, mailbox.account_id)
    assert messages(database, first.id)[-1].body == "还是没有收到。"
    assert messages(database, newer_id) == []

    # Someone else quoting that ticket number gets a conversation of their own.
    mailbox.deliver(
        customer_mail(
            sender="stranger@example.net",
            subject=f"Re: [{number}]",
            body="我也要看这个工单",
            message_id="<t.3@example.net>",
        )
    )
    poll(database, clock, settings, mailbox.account_id)
    assert all(m.body != "我也要看这个工单" for m in messages(database, first.id))


def test_an_html_mail_is_read_as_text_and_a_mail_without_text_keeps_its_files(
    database: Database, clock: FixedClock, settings: Settings, mailbox: Mailbox
) -> None:
    html = (
        "<html><head><style>p{color:red}</style><script>alert('x')</script></head>"
        "<body><p>充值<b>没到账</b></p><div>订单号 202611220099</div></body></html>"
    )
    mail = EmailMessage()
    mail["From"] = "html@example.com"
    mail["To"] = SHOP
    mail["Subject"] = "充值问题"
    mail["Message-ID"] = "<html.1@example.com>"
    mail.set_content(html, subtype="html")
    mailbox.deliver(bytes(mail))
    mailbox.deliver(
        customer_mail(
            sender="files@example.com",
            subject="",
            body="",
            message_id="<files.1@example.com>",
            attachments=[("凭证.pdf", "application/pdf", b"%PDF-1.4 test")],
        )
    )
    poll(database, clock, settings, mailbox.account_id)
    bodies = [m.body for m in messages(database) if m.sender_type == "customer"]
    assert "充值问题\n充值没到账\n\n订单号 202611220099" in bodies
    assert not any("<" in body or "alert" in body or "color" in body for body in bodies)
    with reading(database) as db:
        [pdf] = list(db.scalars(select(Attachment).where(Attachment.filename == "凭证.pdf")))
        holder = db.scalar(
            select(Message)
            .where(Message.attachment_ids.is_not(None))
            .where(Message.body == "[文件]")
        )
    assert pdf.content_type == "application/pdf"
    assert holder is not None and holder.attachment_ids == [pdf.id]


def test_the_email_records_map_every_message_id_to_its_conversation(
    database: Database,
    clock: FixedClock,
    settings: Settings,
    mailbox: Mailbox,
    worker: Worker,
    smtp: SubmissionPeer,
) -> None:
    mailbox.deliver(customer_mail(message_id="<map.1@example.com>", clock=clock))
    poll(database, clock, settings, mailbox.account_id)
    [conversation] = conversations(database)
    agent_reply(database, clock, settings, conversation.id, "已为您查询。")
    worker.run_until_idle()
    [sent] = mails_to(smtp, "buyer@example.com")
    with reading(database) as db:
        rows = {r.message_id: r for r in db.scalars(select(EmailRecord))}
    assert rows["<map.1@example.com>"].direction == "in"
    assert rows[sent["Message-ID"]].direction == "out"
    assert {r.conversation_id for r in rows.values()} == {conversation.id}
