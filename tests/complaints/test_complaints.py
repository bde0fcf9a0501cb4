"""External complaints: registered by form, CSV or forwarded mail; urgent, matched, routed,
and due when the platform says."""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.factories import StaffTeam, login_headers
from yiwen.auth.audit import Actor
from yiwen.complaints.forwarded import register_forwarded_complaint
from yiwen.complaints.models import ExternalComplaint
from yiwen.complaints.service import NewComplaint, register_complaint
from yiwen.core.clock import SHANGHAI, FixedClock
from yiwen.core.db import Database
from yiwen.core.settings import Settings
from yiwen.customers.service import find_or_create_customer
from yiwen.routing.models import QueueEntry
from yiwen.sla.models import TicketSla
from yiwen.store.connectors.demo.connector import DemoStoreConnector
from yiwen.tickets import service as tickets
from yiwen.tickets.models import Ticket, TicketOrder

BASE = "/api/v1/complaints"
DEADLINE = datetime(2026, 11, 25, 18, 0, tzinfo=SHANGHAI)


def form(order_no: str | None = None, **extra: object) -> dict[str, object]:
    return {
        "platform": "黑猫投诉",
        "external_ref": "17350001234",
        "url": "https://tousu.sina.com.cn/complaint/view/17350001234/",
        "complainant_name": "王先生",
        "complainant_contact": "13700001111",
        "text": "付款后卡密一直不发，客服不回复，要求退款",
        "order_no": order_no,
        "external_deadline": "2026-11-25 18:00",
        **extra,
    }


def test_a_complaint_becomes_an_urgent_ticket_for_a_supervisor_due_at_the_platforms_deadline(
    client: TestClient,
    database: Database,
    clock: FixedClock,
    team: StaffTeam,
    demo: DemoStoreConnector,
) -> None:
    example = demo.example_orders()["paid_not_delivered"]
    with database.transaction() as db:
        buyer = find_or_create_customer(
            db, clock, channel="shop", external_id=str(example.shop_user_id), verified=True
        ).id
    headers = login_headers(client, "supervisor")
    response = client.post(BASE, json=form(example.order_no), headers=headers)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["platform"] == "heimao" and body["order_matched"] is True
    assert body["customer_id"] == buyer
    assert body["ticket_priority"] == "urgent"
    assert body["assignee_id"] == team.supervisor.id
    assert datetime.fromisoformat(body["ticket_due_at"]) == DEADLINE
    with database.reading() as db:
        ticket = db.get(Ticket, body["ticket_id"])
        assert ticket is not None
        assert (ticket.category, ticket.urgent, ticket.tier) == ("complaint", True, "L2")
        assert db.scalar(
            select(TicketOrder.order_no).where(TicketOrder.ticket_id == ticket.id)
        ) == (example.order_no)
        clock_row = db.get(TicketSla, ticket.id)
        assert clock_row is not None and clock_row.resolution_due_at == DEADLINE
        assert clock_row.resolution_fixed is True

    again = client.post(BASE, json=form(example.order_no), headers=headers)
    assert again.status_code == 200
    assert again.json()["id"] == body["id"] and again.json()["created"] is False
    with database.reading() as db:
        assert db.scalar(select(func.count()).select_from(Ticket)) == 1
    listed = client.get(BASE, headers=headers).json()
    assert [c["id"] for c in listed["items"]] == [body["id"]]


def test_the_platforms_deadline_survives_a_priority_change_and_a_pause(
    client: TestClient, database: Database, clock: FixedClock, team: StaffTeam
) -> None:
    headers = login_headers(client, "admin")
    body = client.post(BASE, json=form(None), headers=headers).json()
    with database.transaction() as db:
        ticket = db.get(Ticket, body["ticket_id"])
        assert ticket is not None
        tickets.update_fields(db, clock, ticket, actor=Actor.system(), priority="low")
        tickets.change_status(db, clock, ticket, "pending_customer", actor=Actor.system())
    clock.advance(timedelta(hours=5))
    with database.transaction() as db:
        ticket = db.get(Ticket, body["ticket_id"])
        assert ticket is not None
        tickets.change_status(db, clock, ticket, "open", actor=Actor.system())
    with database.reading() as db:
        ticket = db.get(Ticket, body["ticket_id"])
        row = db.get(TicketSla, body["ticket_id"])
        assert ticket is not None and row is not None
        assert row.resolution_due_at == DEADLINE and ticket.due_at == DEADLINE


def test_only_staff_with_complaint_manage_register_and_bad_forms_are_refused(
    client: TestClient, database: Database, team: StaffTeam
) -> None:
    agent = login_headers(client, "l1")
    refused = client.post(BASE, json=form(None), headers=agent)
    assert refused.status_code == 403
    admin = login_headers(client, "admin")
    past = client.post(BASE, json=form(None, external_deadline="2026-11-01"), headers=admin)
    assert past.status_code == 422
    assert past.json()["error"]["code"] == "complaint_deadline_past"
    unknown = client.post(BASE, json=form(None, platform="weibo"), headers=admin)
    assert unknown.json()["error"]["code"] == "complaint_platform_unknown"
    garbled = client.post(BASE, json=form(None, external_deadline="下周"), headers=admin)
    assert garbled.json()["error"]["code"] == "complaint_deadline_invalid"
    with database.reading() as db:
        assert db.scalar(select(func.count()).select_from(ExternalComplaint)) == 0
        assert db.scalar(select(func.count()).select_from(Ticket)) == 0


CSV_HEADER = "平台,投诉编号,投诉人,联系方式,投诉内容,订单号,处理期限\n"


def test_a_csv_in_gbk_or_utf8_with_bom_imports_once(
    client: TestClient, database: Database, team: StaffTeam
) -> None:
    rows = CSV_HEADER + (
        "12315,A-001,李女士,13800002222,充值没到账,,2026-11-28\n"
        '黑猫投诉,B-002,赵先生,zhao@example.com,"卡密无效，多次联系无果",,2026-11-27 12:00\n'
    )
    headers = login_headers(client, "supervisor")
    gbk = client.post(
        f"{BASE}/import",
        files={"file": ("complaints.csv", rows.encode("gbk"), "text/csv")},
        headers=headers,
    )
    assert gbk.status_code == 200, gbk.text
    assert [r["row"] for r in gbk.json()["imported"]] == [2, 3]
    again = client.post(
        f"{BASE}/import",
        files={"file": ("complaints.csv", b"\xef\xbb\xbf" + rows.encode("utf-8"), "text/csv")},
        headers=headers,
    )
    assert again.status_code == 200, again.text
    assert again.json()["imported"] == []
    assert [r["row"] for r in again.json()["duplicates"]] == [2, 3]
    with database.reading() as db:
        assert db.scalar(select(func.count()).select_from(ExternalComplaint)) == 2
        stored = db.scalar(
            select(ExternalComplaint).where(ExternalComplaint.external_ref == "B-002")
        )
        assert stored is not None and stored.text == "卡密无效，多次联系无果"


def test_a_csv_with_a_wrong_row_imports_nothing_and_names_the_rows(
    client: TestClient, database: Database, team: StaffTeam
) -> None:
    rows = CSV_HEADER + (
        "12315,C-001,甲,13800003333,内容一,,2026-11-28\n"
        "微博,C-002,乙,13800004444,内容二,,2026-11-28\n"
        "12315,C-003,丙,13800005555,,,2026-11-28\n"
        "12315,C-004,丁,13800006666,内容四,,明天\n"
    )
    headers = login_headers(client, "admin")
    response = client.post(
        f"{BASE}/import",
        files={"file": ("c.csv", rows.encode("utf-8"), "text/csv")},
        headers=headers,
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "complaint_csv_invalid_rows"
    assert [(r["row"], r["column"]) for r in error["rows"]] == [
        (3, "platform"),
        (4, "text"),
        (5, "external_deadline"),
    ]
    with database.reading() as db:
        assert db.scalar(select(func.count()).select_from(ExternalComplaint)) == 0
        assert db.scalar(select(func.count()).select_from(Ticket)) == 0


NOTICE = """商家您好：

消费者通过全国12315平台对贵单位进行投诉，请及时处理。
投诉编号：1231520261122000123
投诉人：陈女士
联系电话：13912345678
订单号：{order_no}
投诉内容：购买的点卡付款后一直未到账，要求退款。
处理期限：2026年11月29日
"""


def test_a_forwarded_12315_notice_registers_once_with_its_reference_and_deadline(
    database: Database, clock: FixedClock, settings: Settings, demo: DemoStoreConnector
) -> None:
    example = demo.example_orders()["push_failed"]
    kwargs = {
        "subject": "Fwd: 12315投诉转办通知",
        "body": NOTICE.format(order_no=example.order_no),
        "sender": "ops@shop.example",
        "message_id": "<fwd-1@shop.example>",
    }
    with database.transaction() as db:
        complaint, created = register_forwarded_complaint(db, clock, settings, demo, **kwargs)
        assert created
        ticket = db.get(Ticket, complaint.ticket_id)
        assert ticket is not None
        assert (complaint.platform, complaint.external_ref) == ("12315", "1231520261122000123")
        assert complaint.order_matched and complaint.complainant_name == "陈女士"
        assert complaint.external_deadline == datetime(2026, 11, 29, 23, 59, 59, tzinfo=SHANGHAI)
        assert ticket.due_at == complaint.external_deadline
        # No supervisor in this database: the complaint waits in the senior queue.
        entry = db.scalar(select(QueueEntry).where(QueueEntry.ticket_id == ticket.id))
        assert entry is not None and entry.queue_key.endswith("_l2") and ticket.tier == "L2"
    with database.transaction() as db:
        again, created = register_forwarded_complaint(
            db, clock, settings, demo, **{**kwargs, "message_id": "<fwd-2@shop.example>"}
        )
        assert not created and again.id == complaint.id


def test_a_complaint_with_an_unknown_order_still_registers_for_a_new_customer(
    database: Database, clock: FixedClock, settings: Settings, demo: DemoStoreConnector
) -> None:
    with database.transaction() as db:
        complaint, _ = register_complaint(
            db,
            clock,
            settings,
            demo,
            NewComplaint(
                platform="app_store",
                external_ref="review-42",
                text="一星：充值不到账",
                order_no="NO-SUCH-ORDER",
                complainant_name="匿名用户",
            ),
            actor=Actor.system(),
        )
        assert complaint.order_matched is False and complaint.order_no == "NO-SUCH-ORDER"
        ticket = db.get(Ticket, complaint.ticket_id)
        assert ticket is not None and ticket.priority == "urgent"
        assert db.scalar(select(func.count()).select_from(TicketOrder)) == 0
