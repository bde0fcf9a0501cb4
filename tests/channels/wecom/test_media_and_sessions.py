"""WeCom customer service: files both ways, session states that follow the case, and the
periodic sync that catches what a lost callback missed.

The API is :func:`tests.channels.wecom.peer.wecom_api_peer`, a real HTTP server on
127.0.0.1 answering like qyapi.weixin.qq.com: multipart ``media/upload`` with WeCom's
type/format/size checks, ``media/get`` serving the customers' files, send_msg refusing
media ids it never issued, and service_state/trans enforcing WeCom's transition rules.
Callbacks are encrypted with wechatpy's enterprise crypto, as WeCom does.
"""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.channels.test_core import PNG
from tests.channels.wechat.peer import ApiPeer
from tests.channels.wecom.peer import KfState, WecomServer, customer_media, customer_text
from tests.channels.wecom.test_wecom import SYNC, cursor, customer_bodies
from tests.factories import StaffTeam
from yiwen.attachments.models import Attachment
from yiwen.attachments.service import FileStore, store_attachment
from yiwen.auth.audit import Actor
from yiwen.bot import service as bot_service
from yiwen.channels.accounts import update_account
from yiwen.channels.models import MediaFetch, WecomSessionChange
from yiwen.channels.wechat.apicall import TencentApi
from yiwen.channels.wechat.tokens import AccessTokenCache
from yiwen.channels.wecom.client import WecomApi
from yiwen.channels.wecom.jobs import run_round
from yiwen.conversations.models import Conversation, Message
from yiwen.conversations.service import post_staff_message
from yiwen.core.clock import FixedClock
from yiwen.core.db import Database
from yiwen.core.settings import Settings
from yiwen.notify.models import OutboxEntry
from yiwen.tickets.models import Ticket
from yiwen.tickets.service import NewTicket, assign_ticket, open_ticket, resolve_ticket
from yiwen.wiring import PERIODIC_JOBS
from yiwen.worker.jobs import load_jobs

SEND = "/cgi-bin/kf/send_msg"
UPLOAD = "/cgi-bin/media/upload"
MEDIA_GET = "/cgi-bin/media/get"
TRANS = "/cgi-bin/kf/service_state/trans"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
AMR = b"#!AMR\n" + b"\x3c\x91\x17\x16\xbe\x66\x78\x00" * 16


@pytest.fixture
def quiet_bot(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bot_service, "handle_customer_message", lambda *a, **k: False)


@pytest.fixture
def api(clock: FixedClock) -> WecomApi:
    client = WecomApi(TencentApi(AccessTokenCache(clock)))
    yield client  # type: ignore[misc]
    client.api.close()


def agent_reply(
    database: Database,
    clock: FixedClock,
    settings: Settings,
    text: str,
    files: list[tuple[str, bytes]],
) -> int:
    with database.transaction() as db:
        conversation = db.scalars(select(Conversation).where(Conversation.channel == "wecom")).one()
        ids = [
            store_attachment(
                db,
                clock,
                FileStore(settings.upload_dir),
                io.BytesIO(data),
                filename=name,
                limit=settings.upload_max_bytes,
                customer_id=conversation.customer_id,
                uploaded_by_type="staff",
                uploaded_by_id="agent-1",
                conversation_id=conversation.id,
            ).id
            for name, data in files
        ]
        return post_staff_message(
            db,
            clock,
            conversation,
            sender_type="agent",
            sender_id=None,
            sender_name="客服小李",
            body=text,
            max_chars=settings.message_max_chars,
            attachment_ids=ids,
        ).id


def test_a_reply_with_a_picture_and_a_pdf_goes_out_as_image_and_file_messages(
    kf_client: TestClient,
    app: FastAPI,
    wecom: WecomServer,
    account_id: str,
    kf: KfState,
    api_peer: ApiPeer,
    database: Database,
    clock: FixedClock,
    settings: Settings,
    quiet_bot: None,
) -> None:
    kf.messages = [customer_text(1, user="wmCustomerA")]
    wecom.callback(kf_client, account_id, wecom.kf_event())
    agent_reply(
        database,
        clock,
        settings,
        "见截图和凭证，教程：[兑换教程](https://shop.example.com/help/1)",
        [("截图.png", PNG), ("凭证.pdf", PDF)],
    )
    app.state.worker.run_until_idle()
    with database.reading() as db:
        assert set(db.scalars(select(OutboxEntry.status))) == {"sent"}
    sends = [c.body for c in api_peer.calls if c.path == SEND]
    assert [s["msgtype"] for s in sends] == ["text", "image", "file"]
    assert "兑换教程 https://shop.example.com/help/1" in sends[0]["text"]["content"]
    assert api_peer.uploaded[sends[1]["image"]["media_id"]].data == PNG
    assert api_peer.uploaded[sends[2]["file"]["media_id"]].data == PDF
    assert [c.query["type"] for c in api_peer.calls if c.path == UPLOAD] == ["image", "file"]
    assert len({s["msgid"] for s in sends}) == 3


def test_wecom_refuses_a_file_of_the_wrong_format_with_its_errcode(
    api: WecomApi, account_id: str, database: Database, settings: Settings
) -> None:
    from yiwen.channels.accounts import account_view
    from yiwen.channels.media import MediaRefused, OutboundFile
    from yiwen.channels.models import ChannelAccount

    with database.reading() as db:
        row = db.get(ChannelAccount, account_id)
        assert row is not None
        account = account_view(settings, row)
    with pytest.raises(MediaRefused, match="40005"):
        api.upload_media(account, "image", OutboundFile("a.png", "image/png", PDF))
    with pytest.raises(MediaRefused, match="40006"):
        api.upload_media(account, "voice", OutboundFile("v.amr", "audio/amr", AMR * 40000))


def test_a_customers_picture_is_downloaded_into_their_message_and_retried_when_busy(
    kf_client: TestClient,
    wecom: WecomServer,
    account_id: str,
    kf: KfState,
    api_peer: ApiPeer,
    api: WecomApi,
    database: Database,
    clock: FixedClock,
    settings: Settings,
    quiet_bot: None,
) -> None:
    kf.media["MEDIA_PIC"] = (PNG, "image/png", "")
    kf.messages = [customer_text(1, text="卡密截图如下"), customer_media(2, "image", "MEDIA_PIC")]
    api_peer.script(MEDIA_GET, {"errcode": -1, "errmsg": "system busy"})
    wecom.callback(kf_client, account_id, wecom.kf_event())

    # The text arrived at once; the picture's message is stored with its placeholder.
    assert customer_bodies(database) == ["卡密截图如下", "[图片]"]
    with database.reading() as db:
        fetch = db.scalars(select(MediaFetch)).one()
        assert (fetch.status, fetch.attempts) == ("pending", 1)
        assert "-1" in (fetch.last_error or "")

    assert run_round(database, clock, settings, api) == 0  # not due yet: nothing fetched
    clock.advance(timedelta(seconds=31))
    run_round(database, clock, settings, api)
    with database.reading() as db:
        fetch = db.scalars(select(MediaFetch)).one()
        message = db.get(Message, fetch.message_id)
        assert message is not None and fetch.status == "done"
        [attachment] = db.scalars(select(Attachment)).all()
        sha = attachment.sha256
        assert message.attachment_ids == [attachment.id]
        assert (attachment.content_type, attachment.customer_id) == (
            "image/png",
            db.get(Conversation, message.conversation_id).customer_id,  # type: ignore[union-attr]
        )
    assert (FileStore(settings.upload_dir).path_for(sha)).read_bytes() == PNG
    # Nothing is downloaded twice.
    clock.advance(timedelta(hours=1))
    run_round(database, clock, settings, api)
    assert [c.path for c in api_peer.calls].count(MEDIA_GET) == 2


def test_media_wecom_does_not_know_or_yiwen_does_not_keep_ends_with_the_text_kept(
    kf_client: TestClient,
    wecom: WecomServer,
    account_id: str,
    kf: KfState,
    api_peer: ApiPeer,
    database: Database,
    quiet_bot: None,
) -> None:
    kf.media["MEDIA_VOICE"] = (AMR, "audio/amr", "")
    kf.media["MEDIA_PDF"] = (PDF, "application/octet-stream", "order-proof.pdf")
    kf.messages = [
        customer_media(1, "image", "MEDIA_GONE"),
        customer_media(2, "voice", "MEDIA_VOICE"),
        customer_media(3, "file", "MEDIA_PDF"),
    ]
    wecom.callback(kf_client, account_id, wecom.kf_event())
    assert customer_bodies(database) == ["[图片]", "[语音]", "[文件]"]
    with database.reading() as db:
        rows = {r.media_id: r for r in db.scalars(select(MediaFetch))}
        assert rows["MEDIA_GONE"].status == "failed" and "40007" in str(
            rows["MEDIA_GONE"].last_error
        )
        assert rows["MEDIA_VOICE"].status == "failed" and "not kept" in str(
            rows["MEDIA_VOICE"].last_error
        )
        assert rows["MEDIA_PDF"].status == "done"
        kept = db.get(Attachment, rows["MEDIA_PDF"].attachment_id)
        assert kept is not None and kept.filename == "order-proof.pdf"


def test_a_redelivered_media_message_queues_one_download(
    kf_client: TestClient,
    wecom: WecomServer,
    account_id: str,
    kf: KfState,
    api_peer: ApiPeer,
    database: Database,
    quiet_bot: None,
) -> None:
    kf.media["MEDIA_PIC"] = (PNG, "image/png", "")
    kf.messages = [customer_media(1, "image", "MEDIA_PIC")]
    wecom.callback(kf_client, account_id, wecom.kf_event())
    kf.messages.append(customer_media(1, "image", "MEDIA_PIC"))  # WeCom lists it again
    wecom.callback(kf_client, account_id, wecom.kf_event())
    with database.reading() as db:
        assert len(db.scalars(select(MediaFetch)).all()) == 1
        assert len(db.scalars(select(Attachment)).all()) == 1
    assert customer_bodies(database) == ["[图片]"]


def test_the_periodic_job_syncs_messages_whose_callback_was_lost_without_doubling(
    kf_client: TestClient,
    wecom: WecomServer,
    account_id: str,
    kf: KfState,
    api_peer: ApiPeer,
    api: WecomApi,
    database: Database,
    clock: FixedClock,
    settings: Settings,
    quiet_bot: None,
) -> None:
    assert ("yiwen.channels.wecom.jobs:run_wecom", 30.0) in PERIODIC_JOBS
    job = {j.name: j for j in load_jobs(PERIODIC_JOBS)}["yiwen.channels.wecom.jobs:run_wecom"]
    assert job.own_transactions

    kf.messages = [customer_text(n) for n in (1, 2, 3)]
    wecom.callback(kf_client, account_id, wecom.kf_event())
    kf.messages += [customer_text(n) for n in (4, 5)]  # their callback never came
    assert run_round(database, clock, settings, api) == 2
    assert customer_bodies(database) == [f"第{n}条消息" for n in range(1, 6)]
    assert cursor(database, account_id) == "C5"
    job_syncs = [c.body for c in api_peer.calls if c.path == SYNC and "token" not in c.body]
    assert [body["cursor"] for body in job_syncs] == ["C3"]
    # A callback arriving late reads from the same cursor: nothing twice.
    wecom.callback(kf_client, account_id, wecom.kf_event())
    assert run_round(database, clock, settings, api) == 0
    assert len(customer_bodies(database)) == 5


def wecom_ticket(database: Database, clock: FixedClock) -> str:
    with database.transaction() as db:
        conversation = db.scalars(select(Conversation).where(Conversation.channel == "wecom")).one()
        ticket = open_ticket(
            db,
            clock,
            NewTicket(
                customer_id=conversation.customer_id,
                channel="wecom",
                category="delivery_missing",
                subject="卡密没到账",
                conversation_id=conversation.id,
            ),
            actor=Actor.system(),
            prefix="T",
        )
        return ticket.id


def test_the_session_follows_the_ticket_to_a_mapped_servicer_and_ends_when_resolved(
    kf_client: TestClient,
    wecom: WecomServer,
    account_id: str,
    kf: KfState,
    api_peer: ApiPeer,
    api: WecomApi,
    database: Database,
    clock: FixedClock,
    settings: Settings,
    team: StaffTeam,
    quiet_bot: None,
) -> None:
    with database.transaction() as db:
        update_account(
            db,
            clock,
            settings,
            account_id,
            actor=Actor.system(),
            config={f"servicer.{team.l2.username}": "zhangsan"},
        )
    kf.messages = [customer_text(1, user="wmCustomerC")]
    wecom.callback(kf_client, account_id, wecom.kf_event())
    ticket_id = wecom_ticket(database, clock)

    with database.transaction() as db:
        ticket = db.get_one(Ticket, ticket_id)
        assign_ticket(
            db, clock, ticket, assignee_id=team.l1.id, assignee_name="L1", actor=Actor.system()
        )
    run_round(database, clock, settings, api)
    assert TRANS not in api_peer.paths(), "an unmapped agent keeps the session with the API"

    with database.transaction() as db:
        ticket = db.get_one(Ticket, ticket_id)
        assign_ticket(
            db, clock, ticket, assignee_id=team.l2.id, assignee_name="L2", actor=Actor.system()
        )
    run_round(database, clock, settings, api)
    assert (kf.service_state["wmCustomerC"], kf.servicer["wmCustomerC"]) == (3, "zhangsan")

    with database.transaction() as db:
        resolve_ticket(
            db, clock, db.get_one(Ticket, ticket_id), actor=Actor.staff(team.l2), note="已补发"
        )
    run_round(database, clock, settings, api)
    assert kf.service_state["wmCustomerC"] == 4
    with database.reading() as db:
        changes = db.scalars(select(WecomSessionChange).order_by(WecomSessionChange.created_at))
        assert [(c.service_state, c.status) for c in changes] == [(3, "done"), (4, "done")]


def test_a_busy_platform_retries_the_change_and_an_ended_session_counts_as_ended(
    kf_client: TestClient,
    wecom: WecomServer,
    account_id: str,
    kf: KfState,
    api_peer: ApiPeer,
    api: WecomApi,
    database: Database,
    clock: FixedClock,
    settings: Settings,
    team: StaffTeam,
    quiet_bot: None,
) -> None:
    kf.messages = [customer_text(1, user="wmCustomerD")]
    wecom.callback(kf_client, account_id, wecom.kf_event())
    ticket_id = wecom_ticket(database, clock)
    api_peer.script(TRANS, {"errcode": 45033, "errmsg": "api concurrent out of limit"})
    with database.transaction() as db:
        resolve_ticket(
            db, clock, db.get_one(Ticket, ticket_id), actor=Actor.staff(team.l1), note="已退款"
        )
    run_round(database, clock, settings, api)
    with database.reading() as db:
        change = db.scalars(select(WecomSessionChange)).one()
        assert (change.status, change.attempts) == ("pending", 1)
    assert kf.service_state.get("wmCustomerD", 0) == 0

    kf.service_state["wmCustomerD"] = 4  # the customer left meanwhile: WeCom ended it
    clock.advance(timedelta(minutes=1))
    run_round(database, clock, settings, api)
    with database.reading() as db:
        change = db.scalars(select(WecomSessionChange)).one()
        assert change.status == "done" and "95013" in str(change.last_error)
