"""The IMAP poll against Dovecot: exactly once across crashes, copies and UIDVALIDITY changes."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests.channels.email.conftest import (
    SHOP,
    Mailbox,
    customer_mail,
    make_email_account,
    poll,
    reading,
)
from tests.channels.email.peers import SubmissionPeer
from tests.channels.email.stall import FALLBACK_SECONDS, StallingRelay
from tests.support.dovecot import DovecotServer
from yiwen.channels.cursors import get_cursor, set_cursor
from yiwen.channels.email import jobs
from yiwen.channels.models import ChannelAccount, InboundReceipt
from yiwen.complaints.models import ExternalComplaint
from yiwen.conversations.models import Message
from yiwen.core.clock import SHANGHAI, FixedClock
from yiwen.core.db import Database
from yiwen.core.settings import Settings
from yiwen.store.connectors.demo.connector import DemoStoreConnector
from yiwen.wiring import build_worker
from yiwen.worker.jobs import load_jobs


def customer_bodies(database: Database) -> list[str]:
    with database.reading() as db:
        return list(
            db.scalars(
                select(Message.body).where(Message.sender_type == "customer").order_by(Message.id)
            )
        )


def cursor(database: Database, account_id: str) -> dict[str, object]:
    with database.reading() as db:
        value = get_cursor(db, account_id, jobs.CURSOR_NAME)
    loaded: dict[str, object] = json.loads(value) if value else {}
    return loaded


def numbered(n: int) -> bytes:
    return customer_mail(
        sender=f"buyer{n}@example.com",
        subject=f"问题 {n}",
        body=f"第 {n} 封邮件",
        message_id=f"<n.{n}@example.com>",
    )


def test_a_crash_in_the_middle_of_a_poll_loses_nothing_and_doubles_nothing(
    database: Database,
    clock: FixedClock,
    settings: Settings,
    mailbox: Mailbox,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for n in range(1, 5):
        mailbox.deliver(numbered(n))
    calls = {"n": 0}
    real_store = jobs.store_mail

    def crash_on_third(*args: object, **kwargs: object) -> str:
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("worker killed")
        return real_store(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(jobs, "store_mail", crash_on_third)
    with pytest.raises(RuntimeError):
        poll(database, clock, settings, mailbox.account_id)
    # Each mail commits with the cursor past it: two are in, the third and fourth are not.
    assert [b.splitlines()[-1] for b in customer_bodies(database)] == ["第 1 封邮件", "第 2 封邮件"]
    assert cursor(database, mailbox.account_id)["last_uid"] == 2

    monkeypatch.setattr(jobs, "store_mail", real_store)
    assert poll(database, clock, settings, mailbox.account_id) == 2
    assert poll(database, clock, settings, mailbox.account_id) == 0
    bodies = customer_bodies(database)
    assert [b.splitlines()[-1] for b in bodies] == [f"第 {n} 封邮件" for n in range(1, 5)]
    assert cursor(database, mailbox.account_id)["last_uid"] == 4


def test_a_small_batch_per_poll_resumes_where_it_stopped(
    database: Database,
    clock: FixedClock,
    settings: Settings,
    dovecot: DovecotServer,
    smtp: SubmissionPeer,
) -> None:
    folder = "Batch"
    dovecot.create_mailbox(SHOP, folder)
    account_id = make_email_account(
        database, clock, settings, dovecot, smtp, folder=folder, max_per_poll=2
    )
    for n in range(1, 6):
        dovecot.append(SHOP, numbered(n), mailbox=folder)
    taken = [poll(database, clock, settings, account_id) for _ in range(4)]
    assert taken == [2, 2, 1, 0]
    assert len(customer_bodies(database)) == 5
    dovecot.append(SHOP, numbered(6), mailbox=folder)
    assert poll(database, clock, settings, account_id) == 1
    assert len(customer_bodies(database)) == 6


def test_the_same_mail_fetched_twice_is_stored_once(
    database: Database, clock: FixedClock, settings: Settings, mailbox: Mailbox
) -> None:
    raw = numbered(1)
    mailbox.deliver(raw)
    mailbox.deliver(raw)  # the MTA delivered it twice: two UIDs, one Message-ID
    assert poll(database, clock, settings, mailbox.account_id) == 2
    assert len(customer_bodies(database)) == 1
    with database.reading() as db:
        assert db.scalar(select(func.count()).select_from(InboundReceipt)) == 1


def test_a_uidvalidity_change_reads_the_mailbox_again_without_doubling(
    database: Database,
    clock: FixedClock,
    settings: Settings,
    dovecot: DovecotServer,
    smtp: SubmissionPeer,
) -> None:
    folder = "Rebuilt"
    dovecot.create_mailbox(SHOP, folder)
    account_id = make_email_account(database, clock, settings, dovecot, smtp, folder=folder)
    for n in (1, 2):
        dovecot.append(SHOP, numbered(n), mailbox=folder)
    poll(database, clock, settings, account_id)
    before = cursor(database, account_id)

    # The server rebuilt the mailbox: new UIDVALIDITY, UIDs restart at 1.
    dovecot.delete_mailbox(SHOP, folder)
    dovecot.create_mailbox(SHOP, folder)
    for n in (1, 2, 3):
        dovecot.append(SHOP, numbered(n), mailbox=folder)
    assert poll(database, clock, settings, account_id) == 3

    after = cursor(database, account_id)
    assert after["uidvalidity"] != before["uidvalidity"]
    assert after["last_uid"] == 3
    assert [b.splitlines()[-1] for b in customer_bodies(database)] == [
        "第 1 封邮件",
        "第 2 封邮件",
        "第 3 封邮件",
    ]


def test_the_first_poll_skips_old_mail_so_an_old_mailbox_is_not_answered(
    database: Database,
    clock: FixedClock,
    settings: Settings,
    dovecot: DovecotServer,
    smtp: SubmissionPeer,
) -> None:
    folder = "Old"
    dovecot.create_mailbox(SHOP, folder)
    account_id = make_email_account(database, clock, settings, dovecot, smtp, folder=folder)
    dovecot.append(SHOP, numbered(1), mailbox=folder, when=datetime(2026, 9, 1, tzinfo=SHANGHAI))
    dovecot.append(SHOP, numbered(2), mailbox=folder)
    assert poll(database, clock, settings, account_id) == 1
    assert [b.splitlines()[-1] for b in customer_bodies(database)] == ["第 2 封邮件"]


def test_a_refused_login_is_recorded_on_the_cursor_and_stores_nothing(
    database: Database,
    clock: FixedClock,
    settings: Settings,
    dovecot: DovecotServer,
    smtp: SubmissionPeer,
) -> None:
    account_id = make_email_account(
        database, clock, settings, dovecot, smtp, folder="INBOX", password="wrong"
    )
    assert poll(database, clock, settings, account_id) == 0
    assert "AUTHENTICATIONFAILED" in str(cursor(database, account_id)["error"])
    assert customer_bodies(database) == []


def test_the_periodic_job_in_the_wiring_polls_every_enabled_mailbox(
    database: Database,
    clock: FixedClock,
    settings: Settings,
    mailbox: Mailbox,
    dovecot: DovecotServer,
    smtp: SubmissionPeer,
) -> None:
    from yiwen.wiring import PERIODIC_JOBS

    entry = ("yiwen.channels.email.jobs:poll_mailboxes", 60.0)
    assert entry in PERIODIC_JOBS
    dovecot.create_mailbox(SHOP, "Paused")
    paused = make_email_account(database, clock, settings, dovecot, smtp, folder="Paused")
    with database.transaction() as db:
        account = db.get(ChannelAccount, paused)
        assert account is not None
        account.enabled = False
    mailbox.deliver(numbered(1))
    dovecot.append(SHOP, numbered(2), mailbox="Paused")

    worker = build_worker(database, settings, clock, jobs=(entry,))
    worker.run_until_idle()
    assert [b.splitlines()[-1] for b in customer_bodies(database)] == ["第 1 封邮件"]
    with reading(database) as db:
        assert get_cursor(db, paused, jobs.CURSOR_NAME) == ""

    clock.advance(timedelta(seconds=61))
    mailbox.deliver(numbered(3))
    worker.run_until_idle()
    assert len(customer_bodies(database)) == 2


FORWARDED_12315 = """\
---------- Forwarded message ---------
From: 全国12315平台 <noreply@12315.example.gov.cn>
Subject: 12315投诉转办通知

商家您好：

消费者通过全国12315平台对贵单位进行投诉，请及时处理。
投诉编号：1231520261122000777
投诉人：陈女士
联系电话：13912345678
订单号：{order_no}
投诉内容：购买的点卡付款后一直未到账，要求退款。
处理期限：2026年11月29日
"""


def test_a_complaints_mailbox_registers_each_forwarded_notice_once_and_answers_none(
    database: Database,
    clock: FixedClock,
    settings: Settings,
    dovecot: DovecotServer,
    smtp: SubmissionPeer,
    demo: DemoStoreConnector,
) -> None:
    folder = "Complaints"
    dovecot.create_mailbox(SHOP, folder)
    account_id = make_email_account(
        database, clock, settings, dovecot, smtp, folder=folder, purpose="complaints"
    )
    order = demo.example_orders()["push_failed"]
    notice = customer_mail(
        sender="运营 <ops@shop.example.com>",
        subject="Fwd: 12315投诉转办通知",
        body=FORWARDED_12315.format(order_no=order.order_no),
        message_id="<fwd.1@shop.example.com>",
    )
    dovecot.append(SHOP, notice, mailbox=folder)
    dovecot.append(SHOP, notice, mailbox=folder)  # forwarded twice by mistake
    assert jobs.poll_account(database, clock, settings, account_id, demo) == 2

    with reading(database) as db:
        [complaint] = db.scalars(select(ExternalComplaint)).all()
    assert (complaint.platform, complaint.external_ref) == ("12315", "1231520261122000777")
    assert complaint.order_no == order.order_no and complaint.source == "email"
    assert customer_bodies(database) == [], "a complaint notice is no customer conversation"


def test_a_slow_mailbox_holds_no_database_lock_while_it_is_read(
    database: Database,
    clock: FixedClock,
    settings: Settings,
    dovecot: DovecotServer,
    smtp: SubmissionPeer,
) -> None:
    """The fetch waits on the network; meanwhile a write transaction (a customer's message on
    another channel, an agent's reply) must go through, on SQLite's single writer too."""
    relay = StallingRelay(dovecot.host, dovecot.port).start()
    try:
        folder = "Slow"
        dovecot.create_mailbox(SHOP, folder)
        account_id = make_email_account(
            database, clock, settings, dovecot, smtp, folder=folder, imap_port=relay.port
        )
        dovecot.append(SHOP, numbered(1), mailbox=folder)
        taken: list[int] = []
        polling = threading.Thread(
            target=lambda: taken.append(poll(database, clock, settings, account_id))
        )
        polling.start()
        assert relay.fetch_seen.wait(FALLBACK_SECONDS), "the poll never fetched"
        with database.transaction() as db:
            set_cursor(db, clock, account_id, "probe", "written during the fetch")
        written_while_fetching = not relay.released.is_set()
        relay.release.set()
        polling.join()
    finally:
        relay.stop()
    assert written_while_fetching, "the write waited for the IMAP fetch to finish"
    assert taken == [1]
    assert [b.splitlines()[-1] for b in customer_bodies(database)] == ["第 1 封邮件"]


def test_the_wiring_runs_the_poll_outside_a_job_transaction() -> None:
    from yiwen.wiring import PERIODIC_JOBS

    loaded = {job.name: job for job in load_jobs(PERIODIC_JOBS)}
    assert loaded["yiwen.channels.email.jobs:poll_mailboxes"].own_transactions
    assert not loaded["yiwen.sla.jobs:sweep_sla"].own_transactions
