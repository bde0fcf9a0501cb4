"""Scheduled KPI reports: due once per closed period, mailed through a real SMTP server.

The mail is read as the aiosmtpd server received it: the HTML's figures must be
the KPI service's for the period, every chart an inline PNG the HTML points to.
"""

from __future__ import annotations

import io
import re
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import openpyxl  # type: ignore[import-untyped]
import pytest
from PIL import Image
from sqlalchemy import func, select

from tests.conftest import NOW
from tests.factories import StaffTeam
from tests.notify.peers import SmtpPeer
from tests.reports.conftest import History, report_worker
from yiwen.analytics.kpis import compute_kpis
from yiwen.analytics.period import Period
from yiwen.core.clock import SHANGHAI, FixedClock
from yiwen.core.db import Database
from yiwen.core.settings import Settings
from yiwen.notify.models import OutboxEntry
from yiwen.reports.kpi_table import headline
from yiwen.reports.models import ReportRun, ReportSubscription
from yiwen.reports.schedule import due_period, latest_period
from yiwen.reports.subscriptions import SubscriptionInput, create_subscription, queue_due_period

RECIPIENTS = ["boss@shop.example", "lead@shop.example"]


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("frequency", "now", "first", "last"),
    [
        ("daily", "2026-11-22 10:00", "2026-11-21", "2026-11-21"),
        ("daily", "2026-11-22 08:00", "2026-11-21", "2026-11-21"),
        ("daily", "2026-11-22 07:59", "2026-11-20", "2026-11-20"),
        ("weekly", "2026-11-23 08:00", "2026-11-16", "2026-11-22"),  # a Monday
        ("weekly", "2026-11-23 07:00", "2026-11-09", "2026-11-15"),
        ("weekly", "2026-11-22 23:00", "2026-11-09", "2026-11-15"),  # Sunday: week not over
    ],
)
def test_the_period_due_is_the_last_one_closed_before_the_send_hour(
    frequency: str, now: str, first: str, last: str
) -> None:
    period = latest_period(frequency, 8, SHANGHAI, local(now))
    assert (period.first.isoformat(), period.last.isoformat()) == (first, last)


def test_the_send_hour_is_read_in_the_subscriptions_time_zone() -> None:
    # 08:00 in New York on 22 November is 21:00 in Shanghai.
    new_york = ZoneInfo("America/New_York")
    assert latest_period("daily", 8, new_york, local("2026-11-22 20:59")).last == date(2026, 11, 20)
    assert latest_period("daily", 8, new_york, local("2026-11-22 21:00")).last == date(2026, 11, 21)


def test_a_send_moment_before_the_subscription_existed_is_not_due() -> None:
    assert (
        due_period("daily", 8, SHANGHAI, local("2026-11-22 10:00"), local("2026-11-22 09:00"))
        is None
    )
    assert due_period("daily", 8, SHANGHAI, local("2026-11-22 10:00"), local("2026-11-22 07:00"))


def _subscribe(
    database: Database,
    clock: FixedClock,
    team: StaffTeam,
    *,
    at: str,
    frequency: str = "daily",
    agent_id: str | None = None,
) -> str:
    clock.set(local(at))
    with database.transaction() as db:
        subscription = create_subscription(
            db,
            clock,
            SubscriptionInput(
                name="一问旗舰店",
                recipients=RECIPIENTS,
                frequency=frequency,
                hour=8,
                timezone="Asia/Shanghai",
                agent_id=agent_id,
            ),
            actor=team.supervisor,
        )
        return subscription.id


@pytest.fixture
def day_of_work(history: History, team: StaffTeam) -> None:
    """21 November: one card-key case solved at first contact and rated 5, one refund open."""
    card = history.ticket("2026-11-21 09:00", category="card_invalid", channel="web")
    history.assign(card, "2026-11-21 09:02", team.l1, team.supervisor)
    history.respond(card, "2026-11-21 09:10", team.l1)
    history.resolve(card, "2026-11-21 09:40", team.l1)
    history.rate(card, "2026-11-21 10:00", 5)
    refund = history.ticket("2026-11-21 10:00", category="refund_request", channel="qq")
    history.assign(refund, "2026-11-21 10:01", team.l1, team.supervisor)
    history.respond(refund, "2026-11-21 10:31", team.l1)
    history.ticket("2026-11-20 12:00", category="presale")  # the day before: not in the report


def _parts(mail: EmailMessage) -> list[EmailMessage]:
    return [part for part in mail.walk() if isinstance(part, EmailMessage)]


def _html(mail: EmailMessage) -> str:
    html = next(p for p in _parts(mail) if p.get_content_type() == "text/html")
    content = html.get_content()
    assert isinstance(content, str)
    return content


def _kpi_cells(html: str) -> dict[str, str]:
    """The headline table: data-kpi key → the value cell's text."""
    found = re.findall(r'<tr data-kpi="([a-z_0-9]+)">.*?<td [^>]*class="value">([^<]*)</td>', html)
    return dict(found)


def test_a_daily_report_arrives_with_the_kpi_figures_and_inline_charts(
    database: Database,
    settings: Settings,
    clock: FixedClock,
    team: StaffTeam,
    mailbox: SmtpPeer,
    day_of_work: None,
) -> None:
    _subscribe(database, clock, team, at="2026-11-20 12:00")
    clock.set(NOW)
    report_worker(database, settings, clock).run_until_idle()

    assert sorted(rcpt for _sender, rcpts, _mail in mailbox.mails for rcpt in rcpts) == RECIPIENTS
    _sender, _rcpts, mail = mailbox.mails[0]
    assert mail["Subject"] == "一问旗舰店 · 客服日报 2026-11-21"
    related = [p for p in _parts(mail) if p.get_content_type() == "multipart/related"]
    assert len(related) == 1
    html = _html(mail)
    images = {
        str(p["Content-ID"]).strip("<>"): p.get_content()
        for p in _parts(mail)
        if p.get_content_type() == "image/png"
    }
    referenced = re.findall(r'src="cid:([^"]+)"', html)
    assert len(referenced) == 3  # rates, channels, categories (a one-day report has no trend)
    assert set(referenced) == set(images)
    for png in images.values():
        assert png.startswith(b"\x89PNG\r\n\x1a\n")
        picture = Image.open(io.BytesIO(png))
        picture.verify()
        assert picture.format == "PNG" and picture.size[0] >= 400 and picture.size[1] >= 200

    with database.reading() as db:
        report = compute_kpis(
            db,
            period=Period(date(2026, 11, 21), date(2026, 11, 21)),
            group_by=None,
            agent_id=None,
            now=NOW,
        )
    cells = _kpi_cells(html)
    assert cells == {key: value for key, _name, value, _n in headline(report.totals)}
    # And by hand: two tickets that day, one solved at first contact of one resolved.
    assert cells["tickets_created"] == "2"
    assert cells["first_contact_resolution"] == "100.0%"
    assert cells["first_response_median"] == "10分0秒"  # 10 and 31 minutes: nearest rank
    assert cells["first_response_p90"] == "31分0秒"
    assert cells["csat_average"] == "5.00"
    assert '<tr data-group="qq"><td' in html and "QQ" in html

    attachment = next(
        p for p in _parts(mail) if p.get_filename() == "kpis_2026-11-21_2026-11-21.xlsx"
    )
    book = openpyxl.load_workbook(io.BytesIO(attachment.get_content()))
    assert book.sheetnames == ["各渠道", "各问题类型"]
    assert book["各渠道"]["C2"].value == 2


def _mail_count(database: Database) -> tuple[int, int]:
    with database.reading() as db:
        runs = db.scalar(select(func.count()).select_from(ReportRun)) or 0
        rows = (
            db.scalar(
                select(func.count()).select_from(OutboxEntry).where(OutboxEntry.kind == "report")
            )
            or 0
        )
        return runs, rows


def test_each_period_goes_out_once_across_restarts_and_races(
    database: Database, settings: Settings, clock: FixedClock, team: StaffTeam, mailbox: SmtpPeer
) -> None:
    subscription_id = _subscribe(database, clock, team, at="2026-11-20 12:00")
    clock.set(NOW)
    report_worker(database, settings, clock).run_until_idle()
    clock.advance(timedelta(minutes=5))
    report_worker(database, settings, clock).run_until_idle()  # a restarted worker
    assert len(mailbox.mails) == 2
    assert _mail_count(database) == (1, 2)
    # A second worker that read the subscription before the first one's commit.
    with database.transaction() as db:
        stale = db.get(ReportSubscription, subscription_id)
        assert stale is not None
        stale.last_period_first = None
        assert queue_due_period(db, clock, stale) is False
    assert _mail_count(database) == (1, 2)


def test_a_missed_run_catches_up_once_with_the_latest_period(
    database: Database, settings: Settings, clock: FixedClock, team: StaffTeam, mailbox: SmtpPeer
) -> None:
    """Down from the 11th to the 22nd: one report, for the 21st, not eleven."""
    _subscribe(database, clock, team, at="2026-11-10 12:00")
    clock.set(NOW)
    report_worker(database, settings, clock).run_until_idle()
    assert {m["Subject"] for _s, _r, m in mailbox.mails} == {"一问旗舰店 · 客服日报 2026-11-21"}
    clock.set(local("2026-11-23 08:01"))
    report_worker(database, settings, clock).run_until_idle()
    assert sorted({m["Subject"] for _s, _r, m in mailbox.mails}) == [
        "一问旗舰店 · 客服日报 2026-11-21",
        "一问旗舰店 · 客服日报 2026-11-22",
    ]
    assert len(mailbox.mails) == 4


def test_a_weekly_report_covers_monday_to_sunday_with_a_daily_trend(
    database: Database,
    settings: Settings,
    clock: FixedClock,
    team: StaffTeam,
    mailbox: SmtpPeer,
    day_of_work: None,
) -> None:
    _subscribe(database, clock, team, at="2026-11-01 12:00", frequency="weekly")
    clock.set(local("2026-11-23 09:00"))
    report_worker(database, settings, clock).run_until_idle()
    subjects = {m["Subject"] for _s, _r, m in mailbox.mails}
    assert subjects == {"一问旗舰店 · 客服周报 2026-11-16 至 2026-11-22"}
    html = _html(mailbox.mails[0][2])
    assert len(re.findall(r'src="cid:', html)) == 4
    assert _kpi_cells(html)["tickets_created"] == "3"


def test_without_smtp_nothing_is_queued_and_the_period_waits(
    database: Database, settings: Settings, clock: FixedClock, team: StaffTeam, mailbox: SmtpPeer
) -> None:
    _subscribe(database, clock, team, at="2026-11-20 12:00")
    clock.set(NOW)
    without_smtp = settings.model_copy(update={"smtp_host": ""})
    database.context["settings"] = without_smtp  # what the job reads
    report_worker(database, without_smtp, clock).run_until_idle()
    assert _mail_count(database) == (0, 0)
    database.context["settings"] = settings
    clock.advance(timedelta(minutes=2))
    report_worker(database, settings, clock).run_until_idle()
    assert len(mailbox.mails) == 2


def test_an_agents_report_holds_only_their_figures(
    database: Database,
    settings: Settings,
    clock: FixedClock,
    team: StaffTeam,
    mailbox: SmtpPeer,
    day_of_work: None,
) -> None:
    _subscribe(database, clock, team, at="2026-11-20 12:00", agent_id=team.l2.id)
    clock.set(NOW)
    report_worker(database, settings, clock).run_until_idle()
    assert _kpi_cells(_html(mailbox.mails[0][2]))["tickets_created"] == "0"
