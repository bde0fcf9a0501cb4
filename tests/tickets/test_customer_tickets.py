"""The customer side of tickets: the structured form, tracking, replies, reopen and rating.

Everything goes through the HTTP API as the portal, the widget or a shop's app
would call it; staff steps (assign, note, resolve) go through the staff API.
"""

from __future__ import annotations

import itertools
import re
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.factories import StaffTeam, login_headers
from yiwen.attachments.models import Attachment
from yiwen.conversations.access import sign_shop_token
from yiwen.conversations.models import Conversation, Message
from yiwen.core.clock import FixedClock
from yiwen.core.db import Database
from yiwen.core.settings import Settings
from yiwen.customers.models import Customer
from yiwen.store.connectors.demo.connector import DemoStoreConnector
from yiwen.store.connectors.demo.shop import ExampleOrder
from yiwen.tickets.intake import ORDER_REQUIRED
from yiwen.tickets.models import CsatRating, Ticket, TicketEvent, TicketOrder

BASE = "/api/v1/customer"
STAFF = "/api/v1/tickets"
NUMBER = re.compile(r"^YW20261122-\d{6}$")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64
TRACK_LIMIT = 20  # tickets/api.py: 20 tracking attempts a minute per address

_addresses = itertools.count(1)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """A client with its own address: the tracking limiter counts per process and address."""
    with TestClient(app, client=(f"10.1.0.{next(_addresses)}", 50000)) as test_client:
        yield test_client


@pytest.fixture
def delivered(demo: DemoStoreConnector) -> ExampleOrder:
    """A delivered card-key order whose buyer left an email address."""
    return demo.example_orders()["delivered_ok"]


@pytest.fixture
def push_failed(demo: DemoStoreConnector) -> ExampleOrder:
    """A paid order the supplier failed to fill; its buyer left a mobile number."""
    return demo.example_orders()["push_failed"]


def form(order: ExampleOrder | None, **overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "category": "delivery_missing",
        "description": "付款后卡密一直没收到",
        "demand": "resend",
        "paid_at": "2026-11-22T09:20:00+08:00",
        "amount": "100.00",
        "payment_method": "alipay",
    }
    if order is not None:
        body |= {"order_no": order.order_no, "contact": order.contact}
    return body | overrides


def submit(
    client: TestClient, body: dict[str, object], headers: dict[str, str] | None = None
) -> tuple[dict[str, Any], dict[str, str]]:
    """Submit the form; returns the response body and the headers that act as its customer."""
    response = client.post(f"{BASE}/tickets", json=body, headers=headers or {})
    assert response.status_code == 201, response.text
    data = response.json()
    auth = headers or {"X-Conversation-Token": data["token"]}
    return data, auth


def shop_headers(settings: Settings, clock: FixedClock, shop_user_id: str) -> dict[str, str]:
    expires = int(clock.now().timestamp()) + 600
    token = sign_shop_token(settings.resolved_shop_token_secret(), shop_user_id, expires)
    return {"X-Shop-Token": token}


def start_conversation(client: TestClient) -> tuple[str, dict[str, str]]:
    """A new visitor's conversation id and the headers that act as that visitor."""
    response = client.post(f"{BASE}/conversations", json={})
    assert response.status_code == 201, response.text
    data = response.json()
    return data["conversation"]["id"], {"X-Conversation-Token": data["token"]}


def upload_to(client: TestClient, conversation_id: str, auth: dict[str, str]) -> str:
    response = client.post(
        f"{BASE}/conversations/{conversation_id}/attachments",
        files={"file": ("付款截图.png", PNG, "image/png")},
        headers=auth,
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def all_at_once(app: FastAPI, send: Callable[[TestClient], int], copies: int = 4) -> list[int]:
    """The status codes of ``copies`` requests released together from separate threads.

    Server errors come back as 500s instead of raising, so a lost race shows as a code.
    """
    barrier = threading.Barrier(copies)
    codes: list[int] = []
    address = f"10.3.0.{next(_addresses)}"

    def run() -> None:
        with TestClient(app, raise_server_exceptions=False, client=(address, 50000)) as c:
            barrier.wait()
            codes.append(send(c))

    threads = [threading.Thread(target=run) for _ in range(copies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return codes


def row_counts(database: Database) -> dict[str, int]:
    """Rows per table a ticket submission writes to, to prove a refusal wrote nothing."""
    tables = {
        "tickets": Ticket,
        "ticket_events": TicketEvent,
        "ticket_orders": TicketOrder,
        "messages": Message,
        "conversations": Conversation,
        "customers": Customer,
        "csat_ratings": CsatRating,
    }
    with database.reading() as db:
        return {
            name: db.scalar(select(func.count()).select_from(model)) or 0
            for name, model in tables.items()
        }


def ticket_row(database: Database, number: str) -> Ticket:
    with database.reading() as db:
        ticket = db.scalar(select(Ticket).where(Ticket.number == number))
        assert ticket is not None
        db.expunge(ticket)  # keep its loaded values after the read ends
        return ticket


def staff_id(database: Database, number: str) -> str:
    return ticket_row(database, number).id


def assign(client: TestClient, agent: dict[str, str], ticket_id: str, agent_id: str) -> None:
    response = client.post(
        f"{STAFF}/{ticket_id}/assign", json={"agent_id": agent_id}, headers=agent
    )
    assert response.status_code == 200, response.text


def resolve(client: TestClient, agent: dict[str, str], ticket_id: str, note: str) -> None:
    response = client.post(f"{STAFF}/{ticket_id}/resolve", json={"note": note}, headers=agent)
    assert response.status_code == 200, response.text


def set_status(client: TestClient, agent: dict[str, str], ticket_id: str, status: str) -> None:
    response = client.patch(f"{STAFF}/{ticket_id}", json={"status": status}, headers=agent)
    assert response.status_code == 200, response.text


def ratings(database: Database, number: str) -> list[CsatRating]:
    with database.reading() as db:
        ticket = db.scalar(select(Ticket).where(Ticket.number == number))
        assert ticket is not None
        rows = list(
            db.scalars(
                select(CsatRating)
                .where(CsatRating.ticket_id == ticket.id)
                .order_by(CsatRating.resolution_round)
            )
        )
        db.expunge_all()
        return rows


# --- the structured form ---------------------------------------------------------------


def test_the_form_opens_a_ticket_on_the_order_with_a_number_promises_and_a_token(
    client: TestClient, database: Database, delivered: ExampleOrder
) -> None:
    data, auth = submit(client, form(delivered, submission_key="form-fill-0001"))

    ticket = data["ticket"]
    assert NUMBER.match(ticket["number"]), ticket["number"]
    assert ticket["status"] == "new" and ticket["stage"] == "pending"
    assert ticket["status_label"] == "待处理"
    assert ticket["category"] == "delivery_missing"
    assert ticket["category_label"] == "未收到货（卡密/充值未到账）"
    assert ticket["priority"] == "high"
    assert ticket["order_nos"] == [delivered.order_no]
    assert ticket["handler"] is None
    # 30 minutes to the first reply, 1 hour to fix a missing delivery (Shanghai time).
    assert ticket["created_at"] == "2026-11-22T10:00+08:00"
    assert ticket["first_response_due_at"] == "2026-11-22T10:30+08:00"
    assert ticket["promised_at"] == "2026-11-22T11:00+08:00"
    assert [e["kind"] for e in ticket["timeline"]] == ["created"]
    assert ticket["number"] in ticket["timeline"][0]["text"]
    assert ticket["can_rate"] is False and ticket["can_reopen"] is False
    assert data["token"]
    assert data["conversation"]["id"] == ticket["conversation_id"]

    # The token returned is all the customer needs to come back to the ticket.
    again = client.get(f"{BASE}/tickets/{ticket['number']}", headers=auth)
    assert again.status_code == 200, again.text
    assert again.json()["number"] == ticket["number"]

    stored = ticket_row(database, ticket["number"])
    assert stored.demand == "resend"
    assert stored.contact == delivered.contact
    assert stored.key_info == {
        "order_no": delivered.order_no,
        "paid_at": "2026-11-22T09:20+08:00",
        "amount": "100.00",
        "payment_method": "alipay",
        "order_verified": True,
    }
    with database.reading() as db:
        linked = db.scalars(select(TicketOrder.order_no).where(TicketOrder.ticket_id == stored.id))
        assert list(linked) == [delivered.order_no]
        summary = db.scalar(
            select(Message.body).where(Message.conversation_id == ticket["conversation_id"])
        )
    assert summary is not None
    assert delivered.order_no in summary and "补发" in summary and "100.00 元" in summary


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("2026-11-22T09:20:00", "2026-11-22T09:20+08:00"),  # the customer's wall clock
        ("2026-11-22T01:20:00Z", "2026-11-22T09:20+08:00"),
        ("2026-11-22T09:20:00+08:00", "2026-11-22T09:20+08:00"),
    ],
)
def test_the_payment_time_is_kept_in_shanghai_time(
    client: TestClient, database: Database, delivered: ExampleOrder, typed: str, kept: str
) -> None:
    data, _ = submit(client, form(delivered, paid_at=typed))

    stored = ticket_row(database, data["ticket"]["number"])
    assert stored.key_info["paid_at"] == kept


def test_a_contact_that_is_not_the_orders_marks_the_order_unverified_for_the_agent(
    client: TestClient, database: Database, delivered: ExampleOrder
) -> None:
    data, _ = submit(client, form(delivered, contact="13912345678"))

    stored = ticket_row(database, data["ticket"]["number"])
    assert stored.key_info["order_verified"] is False
    assert stored.contact == "13912345678"


def test_a_shop_user_reporting_their_own_order_is_verified_without_giving_a_contact(
    client: TestClient,
    database: Database,
    settings: Settings,
    clock: FixedClock,
    push_failed: ExampleOrder,
) -> None:
    assert push_failed.shop_user_id is not None
    headers = shop_headers(settings, clock, push_failed.shop_user_id)
    body = form(push_failed)
    del body["contact"]

    data, _ = submit(client, body, headers)

    assert data["token"]  # a shop user gets a conversation for the ticket too
    stored = ticket_row(database, data["ticket"]["number"])
    assert stored.key_info["order_verified"] is True
    mine = client.get(f"{BASE}/tickets", headers=headers).json()["items"]
    assert [t["number"] for t in mine] == [data["ticket"]["number"]]


def test_urgent_tickets_promise_a_first_reply_in_ten_minutes(
    client: TestClient, delivered: ExampleOrder
) -> None:
    data, _ = submit(client, form(delivered, urgent=True))

    assert data["ticket"]["priority"] == "urgent"
    assert data["ticket"]["urgent"] is True
    assert data["ticket"]["first_response_due_at"] == "2026-11-22T10:10+08:00"


def test_a_refund_request_is_promised_within_24_hours(
    client: TestClient, delivered: ExampleOrder
) -> None:
    data, _ = submit(client, form(delivered, category="refund_request", demand="refund"))

    assert data["ticket"]["promised_at"] == "2026-11-23T10:00+08:00"
    assert data["ticket"]["priority"] == "normal"


def test_tickets_opened_the_same_day_get_consecutive_numbers(
    client: TestClient, delivered: ExampleOrder
) -> None:
    first, _ = submit(client, form(delivered))
    second, _ = submit(client, form(delivered))

    one = int(first["ticket"]["number"].rsplit("-", 1)[1])
    two = int(second["ticket"]["number"].rsplit("-", 1)[1])
    assert two == one + 1


def test_evidence_uploaded_by_the_customer_is_attached_to_the_ticket(
    client: TestClient, database: Database, delivered: ExampleOrder
) -> None:
    conversation_id, auth = start_conversation(client)
    attachment_id = upload_to(client, conversation_id, auth)

    data, _ = submit(client, form(delivered, evidence_ids=[attachment_id]), auth)

    assert data["token"] is None  # the caller's own conversation is used
    assert data["ticket"]["conversation_id"] == conversation_id
    kinds = [e["kind"] for e in data["ticket"]["timeline"]]
    assert kinds == ["created", "evidence_added"]
    assert "付款截图.png" in data["ticket"]["timeline"][1]["text"]
    with database.reading() as db:
        attachment = db.get(Attachment, attachment_id)
        assert attachment is not None
        assert attachment.ticket_id == staff_id(database, data["ticket"]["number"])


# --- bad input stores nothing ------------------------------------------------------------


def test_an_unknown_category_is_refused_in_chinese_and_stores_nothing(
    client: TestClient, database: Database, delivered: ExampleOrder
) -> None:
    before = row_counts(database)

    response = client.post(f"{BASE}/tickets", json=form(delivered, category="lottery"))

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "unknown_category"
    assert error["message"] == "未知的问题类型：lottery"
    assert row_counts(database) == before


def test_an_order_number_the_shop_does_not_know_is_404_and_stores_nothing(
    client: TestClient, database: Database, delivered: ExampleOrder
) -> None:
    before = row_counts(database)

    response = client.post(f"{BASE}/tickets", json=form(delivered, order_no="ZZZZ0000ZZZZ0000"))

    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] == "order_not_found"
    assert "ZZZZ0000ZZZZ0000" in error["message"]
    assert row_counts(database) == before


@pytest.mark.parametrize("category", sorted(ORDER_REQUIRED))
def test_problems_about_goods_money_or_payment_need_an_order_number(
    client: TestClient, database: Database, category: str
) -> None:
    before = row_counts(database)

    response = client.post(f"{BASE}/tickets", json=form(None, category=category))

    assert response.status_code == 422
    assert response.json()["error"] == {
        "code": "order_no_required",
        "message": "该问题类型需要填写订单号",
    }
    assert row_counts(database) == before


def test_a_presale_question_needs_no_order_number(client: TestClient) -> None:
    data, _ = submit(client, form(None, category="presale", demand="explain"))

    assert data["ticket"]["order_nos"] == []
    assert data["ticket"]["subject"] == "售前咨询"


def test_malformed_json_is_400_and_stores_nothing(client: TestClient, database: Database) -> None:
    before = row_counts(database)

    response = client.post(
        f"{BASE}/tickets",
        content=b'{"category": "delivery_missing", "description": ',
        headers={"content-type": "application/json"},
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_json"
    assert response.json()["error"]["message"] == "请求内容不是合法的 JSON"
    assert row_counts(database) == before


def test_a_description_over_5000_characters_is_422_and_stores_nothing(
    client: TestClient, database: Database, delivered: ExampleOrder
) -> None:
    before = row_counts(database)

    response = client.post(f"{BASE}/tickets", json=form(delivered, description="长" * 5001))

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_request"
    assert error["message"].startswith("请求参数有误")
    assert [f["field"] for f in error["fields"]] == ["description"]
    assert row_counts(database) == before


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("description", " \n "),
        ("demand", "revenge"),
        ("payment_method", "paypal"),
        ("amount", "-5"),
        ("amount", "1.234"),
        ("order_no", "K7Q2<script>"),
        ("submission_key", "short"),
        ("surprise", "extra field"),
    ],
)
def test_invalid_form_fields_are_422_and_store_nothing(
    client: TestClient, database: Database, delivered: ExampleOrder, field: str, value: str
) -> None:
    before = row_counts(database)

    response = client.post(f"{BASE}/tickets", json=form(delivered, **{field: value}))

    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "invalid_request"
    assert field in [f["field"] for f in response.json()["error"]["fields"]]
    assert row_counts(database) == before


def test_a_contact_that_is_neither_phone_nor_email_is_422_and_stores_nothing(
    client: TestClient, database: Database, delivered: ExampleOrder
) -> None:
    before = row_counts(database)

    response = client.post(f"{BASE}/tickets", json=form(delivered, contact="qq 123456"))

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_contact"
    assert row_counts(database) == before


def test_evidence_belonging_to_another_customer_is_refused_and_stores_nothing(
    client: TestClient, database: Database, delivered: ExampleOrder
) -> None:
    their_conversation, their_auth = start_conversation(client)
    theirs = upload_to(client, their_conversation, their_auth)
    my_conversation, my_auth = start_conversation(client)
    mine = upload_to(client, my_conversation, my_auth)
    before = row_counts(database)

    response = client.post(
        f"{BASE}/tickets", json=form(delivered, evidence_ids=[mine, theirs]), headers=my_auth
    )

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "attachment_not_found"
    assert row_counts(database) == before
    with database.reading() as db:
        assert db.scalar(select(func.count()).where(Attachment.ticket_id.is_not(None))) == 0


def test_a_conversation_id_of_another_customer_is_404_and_stores_nothing(
    client: TestClient, database: Database, delivered: ExampleOrder
) -> None:
    theirs, _ = start_conversation(client)
    before = row_counts(database)

    response = client.post(f"{BASE}/tickets", json=form(delivered, conversation_id=theirs))

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "conversation_not_found"
    assert row_counts(database) == before


def test_errors_of_the_form_speak_english_when_asked(
    client: TestClient, delivered: ExampleOrder
) -> None:
    response = client.post(
        f"{BASE}/tickets",
        json=form(delivered, category="lottery"),
        headers={"Accept-Language": "en"},
    )

    assert response.json()["error"]["message"] == "Unknown problem type: lottery"


# --- double submits ----------------------------------------------------------------------


def test_the_same_submission_key_twice_opens_one_ticket_and_answers_200_the_second_time(
    client: TestClient, database: Database, delivered: ExampleOrder
) -> None:
    body = form(delivered, submission_key="0f1e2d3c-double-click")
    first = client.post(f"{BASE}/tickets", json=body)
    counts = row_counts(database)

    again = client.post(f"{BASE}/tickets", json=body)

    assert first.status_code == 201 and again.status_code == 200, again.text
    assert again.json()["ticket"]["number"] == first.json()["ticket"]["number"]
    assert again.json()["conversation"]["id"] == first.json()["conversation"]["id"]
    assert row_counts(database) == counts
    assert counts["tickets"] == 1


def test_a_retry_with_the_token_of_the_first_answer_returns_the_same_ticket(
    client: TestClient, database: Database, delivered: ExampleOrder
) -> None:
    body = form(delivered, submission_key="retry-with-token-01")
    first = client.post(f"{BASE}/tickets", json=body).json()

    again = client.post(
        f"{BASE}/tickets", json=body, headers={"X-Conversation-Token": first["token"]}
    )

    assert again.status_code == 200, again.text
    assert again.json()["ticket"]["number"] == first["ticket"]["number"]
    assert row_counts(database)["tickets"] == 1


def test_a_submission_key_reused_for_a_different_form_is_a_conflict(
    client: TestClient, database: Database, delivered: ExampleOrder
) -> None:
    _, auth = submit(client, form(delivered, submission_key="reused-key-0001"))
    counts = row_counts(database)

    other = client.post(
        f"{BASE}/tickets",
        json=form(delivered, submission_key="reused-key-0001", description="另一件事"),
        headers=auth,
    )

    assert other.status_code == 409, other.text
    assert other.json()["error"]["code"] == "submission_key_reused"
    assert row_counts(database) == counts


def test_a_submission_key_of_another_customer_neither_reveals_their_ticket_nor_fails(
    client: TestClient, database: Database, delivered: ExampleOrder
) -> None:
    victim, _ = submit(client, form(delivered, submission_key="victims-form-key"))
    stranger = start_conversation(client)[1]
    counts = row_counts(database)

    with_token = client.post(
        f"{BASE}/tickets",
        json=form(None, category="presale", demand="explain", submission_key="victims-form-key"),
        headers=stranger,
    )
    anonymous = client.post(
        f"{BASE}/tickets",
        json=form(None, category="presale", demand="explain", submission_key="victims-form-key"),
    )

    for response in (with_token, anonymous):
        assert response.status_code == 409, response.text
        assert response.json()["error"]["code"] == "submission_key_reused"
        assert victim["ticket"]["number"] not in response.text
    assert row_counts(database) == counts


def test_an_anonymous_resubmission_with_another_contact_is_a_conflict(
    client: TestClient, database: Database, delivered: ExampleOrder
) -> None:
    submit(client, form(delivered, submission_key="anon-key-000001"))
    counts = row_counts(database)

    response = client.post(
        f"{BASE}/tickets",
        json=form(delivered, submission_key="anon-key-000001", contact="13900000000"),
    )

    assert response.status_code == 409, response.text
    assert response.json()["error"]["code"] == "submission_key_reused"
    assert row_counts(database) == counts


def test_concurrent_double_submits_open_one_ticket(
    app: FastAPI, database: Database, delivered: ExampleOrder
) -> None:
    body = form(delivered, submission_key="concurrent-clicks-01")

    codes = all_at_once(app, lambda c: c.post(f"{BASE}/tickets", json=body).status_code)

    assert sorted(codes) == [200, 200, 200, 201]
    counts = row_counts(database)
    assert (counts["tickets"], counts["ticket_orders"]) == (1, 1)


# --- tracking ----------------------------------------------------------------------------


def test_tracking_shows_status_handler_promise_and_the_public_timeline_but_no_notes(
    client: TestClient, database: Database, team: StaffTeam, push_failed: ExampleOrder
) -> None:
    data, auth = submit(client, form(push_failed))
    number = data["ticket"]["number"]
    ticket_id = staff_id(database, number)
    agent = login_headers(client, "l1")
    assign(client, agent, ticket_id, team.l1.id)
    secret = "内部备注：疑似黄牛账号，先别退款"
    noted = client.post(f"{STAFF}/{ticket_id}/notes", json={"body": secret}, headers=agent)
    assert noted.status_code == 201, noted.text
    replied = client.post(
        f"{STAFF}/{ticket_id}/replies", json={"body": "正在联系上游重新充值"}, headers=agent
    )
    assert replied.status_code == 201, replied.text

    tracked = client.post(
        f"{BASE}/tickets/track", json={"number": number, "contact": push_failed.contact}
    )

    assert tracked.status_code == 200, tracked.text
    view = tracked.json()
    assert view["number"] == number
    assert view["status"] == "open" and view["stage"] == "in_progress"
    assert view["status_label"] == "处理中"
    assert view["handler"] == "客服小一"
    assert view["promised_at"] == "2026-11-22T11:00+08:00"
    kinds = [entry["kind"] for entry in view["timeline"]]
    assert kinds == ["created", "assigned", "status_changed", "reply"]
    assert "客服小一" in view["timeline"][1]["text"]
    assert "note" not in kinds
    assert "黄牛" not in tracked.text
    # Nor does the customer's own view or the conversation leak the note.
    own = client.get(f"{BASE}/tickets/{number}", headers=auth)
    thread = client.get(f"{BASE}/conversations/{data['conversation']['id']}/messages", headers=auth)
    assert own.status_code == 200 and thread.status_code == 200
    assert "黄牛" not in own.text and "黄牛" not in thread.text
    assert "正在联系上游重新充值" in thread.text


def test_tracking_accepts_the_phone_number_as_customers_type_it(
    client: TestClient, push_failed: ExampleOrder
) -> None:
    data, _ = submit(client, form(push_failed))
    assert push_failed.contact is not None
    phone = push_failed.contact
    typed = f"+86 {phone[:3]} {phone[3:7]} {phone[7:]}"

    tracked = client.post(
        f"{BASE}/tickets/track", json={"number": data["ticket"]["number"].lower(), "contact": typed}
    )

    assert tracked.status_code == 200, tracked.text
    assert tracked.json()["number"] == data["ticket"]["number"]


def test_tracking_with_a_wrong_contact_answers_exactly_like_an_unknown_ticket(
    client: TestClient, delivered: ExampleOrder
) -> None:
    data, _ = submit(client, form(delivered))
    number = data["ticket"]["number"]

    wrong_contact = client.post(
        f"{BASE}/tickets/track", json={"number": number, "contact": "13900000000"}
    )
    unknown_number = client.post(
        f"{BASE}/tickets/track", json={"number": "YW20261122-999999", "contact": delivered.contact}
    )
    not_a_contact = client.post(
        f"{BASE}/tickets/track", json={"number": number, "contact": "nobody"}
    )

    for response in (wrong_contact, unknown_number, not_a_contact):
        assert response.status_code == 404
        assert response.json() == unknown_number.json()
    assert unknown_number.json()["error"] == {
        "code": "ticket_verification_failed",
        "message": "工单号或联系方式不正确",
    }


def test_tracking_is_limited_to_twenty_attempts_a_minute_per_address(
    app: FastAPI, client: TestClient, delivered: ExampleOrder
) -> None:
    data, _ = submit(client, form(delivered))
    guess = {"number": data["ticket"]["number"], "contact": "13900000000"}
    right = {"number": data["ticket"]["number"], "contact": delivered.contact}

    answers = [client.post(f"{BASE}/tickets/track", json=guess) for _ in range(TRACK_LIMIT)]
    blocked = client.post(f"{BASE}/tickets/track", json=right)

    assert {a.status_code for a in answers} == {404}
    assert blocked.status_code == 429
    assert blocked.json()["error"] == {
        "code": "rate_limited",
        "message": "请求过于频繁，请稍后再试",
    }
    with TestClient(app, client=("10.2.0.1", 50000)) as elsewhere:
        assert elsewhere.post(f"{BASE}/tickets/track", json=right).status_code == 200


# --- another customer sees nothing --------------------------------------------------------


def test_another_customer_cannot_read_reply_to_reopen_or_rate_a_ticket(
    client: TestClient,
    database: Database,
    settings: Settings,
    clock: FixedClock,
    team: StaffTeam,
    delivered: ExampleOrder,
    push_failed: ExampleOrder,
) -> None:
    data, owner = submit(client, form(delivered))
    number = data["ticket"]["number"]
    resolve(client, login_headers(client, "l1"), staff_id(database, number), "已补发卡密")
    assert push_failed.shop_user_id is not None
    strangers = {
        "anonymous visitor": start_conversation(client)[1],
        "shop user": shop_headers(settings, clock, push_failed.shop_user_id),
    }
    before = row_counts(database)

    for who, headers in strangers.items():
        attempts = {
            "read": client.get(f"{BASE}/tickets/{number}", headers=headers),
            "reply": client.post(
                f"{BASE}/tickets/{number}/replies",
                json={"client_msg_id": "x-1", "body": "我也要补发"},
                headers=headers,
            ),
            "reopen": client.post(f"{BASE}/tickets/{number}/reopen", json={}, headers=headers),
            "rate": client.post(
                f"{BASE}/tickets/{number}/rating", json={"score": 1}, headers=headers
            ),
        }
        for action, response in attempts.items():
            assert response.status_code == 404, (who, action, response.text)
            assert response.json()["error"]["code"] == "ticket_not_found", (who, action)
        listed = client.get(f"{BASE}/tickets", headers=headers).json()["items"]
        assert number not in [t["number"] for t in listed], who

    assert row_counts(database) == before
    assert ticket_row(database, number).status == "resolved"
    # The owner still can.
    rated = client.post(f"{BASE}/tickets/{number}/rating", json={"score": 4}, headers=owner)
    assert rated.status_code == 201, rated.text


def test_ticket_routes_refuse_callers_without_a_customer_token(
    client: TestClient, delivered: ExampleOrder
) -> None:
    data, _ = submit(client, form(delivered))
    number = data["ticket"]["number"]

    responses = [
        client.get(f"{BASE}/tickets"),
        client.get(f"{BASE}/tickets/{number}"),
        client.post(f"{BASE}/tickets/{number}/replies", json={"client_msg_id": "a", "body": "x"}),
        client.post(f"{BASE}/tickets/{number}/reopen", json={}),
        client.post(f"{BASE}/tickets/{number}/rating", json={"score": 5}),
    ]

    for response in responses:
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "customer_token_missing"


# --- replies -----------------------------------------------------------------------------


def test_a_reply_sent_twice_with_one_client_msg_id_is_stored_once(
    client: TestClient, database: Database, delivered: ExampleOrder
) -> None:
    data, auth = submit(client, form(delivered))
    url = f"{BASE}/tickets/{data['ticket']['number']}/replies"
    body = {"client_msg_id": "reply-1", "body": "补充：支付宝账单截图已上传"}

    first = client.post(url, json=body, headers=auth)
    counts = row_counts(database)
    again = client.post(url, json=body, headers=auth)

    assert first.status_code == 201 and again.status_code == 200, again.text
    assert again.json()["id"] == first.json()["id"]
    assert first.json()["ticket_id"] == staff_id(database, data["ticket"]["number"])
    assert row_counts(database) == counts
    view = client.get(f"{BASE}/tickets/{data['ticket']['number']}", headers=auth).json()
    assert [e["kind"] for e in view["timeline"]].count("customer_reply") == 1


def test_a_reply_reusing_a_client_msg_id_for_other_text_is_a_conflict(
    client: TestClient, database: Database, delivered: ExampleOrder
) -> None:
    data, auth = submit(client, form(delivered))
    url = f"{BASE}/tickets/{data['ticket']['number']}/replies"
    client.post(url, json={"client_msg_id": "reply-1", "body": "第一条"}, headers=auth)
    counts = row_counts(database)

    response = client.post(url, json={"client_msg_id": "reply-1", "body": "另一条"}, headers=auth)

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "client_msg_id_reused"
    assert row_counts(database) == counts


def test_a_reply_brings_a_ticket_waiting_on_the_customer_back_to_the_agent(
    client: TestClient, database: Database, team: StaffTeam, delivered: ExampleOrder
) -> None:
    data, auth = submit(client, form(delivered))
    number = data["ticket"]["number"]
    ticket_id = staff_id(database, number)
    agent = login_headers(client, "l1")
    assign(client, agent, ticket_id, team.l1.id)
    set_status(client, agent, ticket_id, "pending_customer")
    waiting = client.get(f"{BASE}/tickets/{number}", headers=auth).json()
    assert waiting["status_label"] == "等待您的回复"

    reply = client.post(
        f"{BASE}/tickets/{number}/replies",
        json={"client_msg_id": "r-1", "body": "游戏账号是 12345，区服是华东一区"},
        headers=auth,
    )

    assert reply.status_code == 201, reply.text
    view = client.get(f"{BASE}/tickets/{number}", headers=auth).json()
    assert view["status"] == "open" and view["stage"] == "in_progress"
    assert [e["kind"] for e in view["timeline"]][-2:] == ["customer_reply", "status_changed"]


def test_a_reply_does_not_move_a_ticket_waiting_on_the_supplier(
    client: TestClient, database: Database, team: StaffTeam, delivered: ExampleOrder
) -> None:
    data, auth = submit(client, form(delivered))
    number = data["ticket"]["number"]
    ticket_id = staff_id(database, number)
    agent = login_headers(client, "l1")
    assign(client, agent, ticket_id, team.l1.id)
    set_status(client, agent, ticket_id, "pending_supplier")

    client.post(
        f"{BASE}/tickets/{number}/replies",
        json={"client_msg_id": "r-1", "body": "还没好吗？"},
        headers=auth,
    )

    assert ticket_row(database, number).status == "pending_supplier"


def test_a_reply_with_an_attachment_adds_evidence_to_the_ticket(
    client: TestClient, database: Database, delivered: ExampleOrder
) -> None:
    data, auth = submit(client, form(delivered))
    number = data["ticket"]["number"]
    attachment_id = upload_to(client, data["conversation"]["id"], auth)

    reply = client.post(
        f"{BASE}/tickets/{number}/replies",
        json={"client_msg_id": "r-1", "attachment_ids": [attachment_id]},
        headers=auth,
    )

    assert reply.status_code == 201, reply.text
    view = client.get(f"{BASE}/tickets/{number}", headers=auth).json()
    assert [e["kind"] for e in view["timeline"]][-2:] == ["customer_reply", "evidence_added"]
    with database.reading() as db:
        attachment = db.get(Attachment, attachment_id)
        assert attachment is not None and attachment.ticket_id == staff_id(database, number)


def test_a_reply_to_a_closed_ticket_is_refused_and_stores_nothing(
    client: TestClient, database: Database, team: StaffTeam, delivered: ExampleOrder
) -> None:
    data, auth = submit(client, form(delivered))
    number = data["ticket"]["number"]
    ticket_id = staff_id(database, number)
    agent = login_headers(client, "l1")
    resolve(client, agent, ticket_id, "已补发")
    set_status(client, agent, ticket_id, "closed")
    counts = row_counts(database)

    response = client.post(
        f"{BASE}/tickets/{number}/replies",
        json={"client_msg_id": "late-1", "body": "还是没收到"},
        headers=auth,
    )

    assert response.status_code == 409
    assert response.json()["error"] == {
        "code": "ticket_closed",
        "message": "工单已关闭，如仍有问题请重新打开",
    }
    assert row_counts(database) == counts


def test_an_empty_or_oversized_reply_is_refused_and_stores_nothing(
    client: TestClient, database: Database, delivered: ExampleOrder
) -> None:
    data, auth = submit(client, form(delivered))
    url = f"{BASE}/tickets/{data['ticket']['number']}/replies"
    counts = row_counts(database)

    empty = client.post(url, json={"client_msg_id": "e-1", "body": "  "}, headers=auth)
    too_long = client.post(url, json={"client_msg_id": "l-1", "body": "长" * 5001}, headers=auth)

    assert empty.status_code == 422 and empty.json()["error"]["code"] == "message_empty"
    assert too_long.status_code == 422
    assert too_long.json()["error"]["code"] == "message_too_long"
    assert row_counts(database) == counts


# --- rating ------------------------------------------------------------------------------


def test_a_ticket_cannot_be_rated_before_it_is_resolved(
    client: TestClient, database: Database, delivered: ExampleOrder
) -> None:
    data, auth = submit(client, form(delivered))

    response = client.post(
        f"{BASE}/tickets/{data['ticket']['number']}/rating", json={"score": 5}, headers=auth
    )

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "not_resolved_yet"
    assert row_counts(database)["csat_ratings"] == 0


@pytest.mark.parametrize("score", [0, 6, -1, 2.5, "五"])
def test_scores_outside_one_to_five_are_refused(
    client: TestClient, database: Database, team: StaffTeam, delivered: ExampleOrder, score: object
) -> None:
    data, auth = submit(client, form(delivered))
    number = data["ticket"]["number"]
    resolve(client, login_headers(client, "l1"), staff_id(database, number), "已补发")

    response = client.post(f"{BASE}/tickets/{number}/rating", json={"score": score}, headers=auth)

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_request"
    assert response.json()["error"]["fields"][0]["field"] == "score"
    assert ratings(database, number) == []


def test_a_resolution_is_rated_once_and_credited_to_the_agent_who_resolved_it(
    client: TestClient, database: Database, team: StaffTeam, delivered: ExampleOrder
) -> None:
    data, auth = submit(client, form(delivered))
    number = data["ticket"]["number"]
    ticket_id = staff_id(database, number)
    assign(client, login_headers(client, "l1"), ticket_id, team.l1.id)
    resolve(client, login_headers(client, "l2"), ticket_id, "已补发新卡密")
    view = client.get(f"{BASE}/tickets/{number}", headers=auth).json()
    assert view["can_rate"] is True and view["resolution_note"] == "已补发新卡密"

    rated = client.post(
        f"{BASE}/tickets/{number}/rating", json={"score": 4, "comment": " 很快 "}, headers=auth
    )
    twice = client.post(f"{BASE}/tickets/{number}/rating", json={"score": 1}, headers=auth)

    assert rated.status_code == 201, rated.text
    assert rated.json()["rating"] == {"score": 4, "comment": "很快"}
    assert rated.json()["can_rate"] is False
    assert rated.json()["timeline"][-1]["kind"] == "csat"
    assert twice.status_code == 409
    assert twice.json()["error"]["code"] == "already_rated"
    [stored] = ratings(database, number)
    assert (stored.score, stored.resolution_round) == (4, 1)
    assert stored.agent_id == team.l2.id


def test_after_a_reopen_and_a_second_resolution_the_customer_may_rate_again(
    client: TestClient, database: Database, team: StaffTeam, delivered: ExampleOrder
) -> None:
    data, auth = submit(client, form(delivered))
    number = data["ticket"]["number"]
    ticket_id = staff_id(database, number)
    resolve(client, login_headers(client, "l1"), ticket_id, "已补发")
    first = client.post(f"{BASE}/tickets/{number}/rating", json={"score": 2}, headers=auth)
    assert first.status_code == 201, first.text

    reopened = client.post(
        f"{BASE}/tickets/{number}/reopen", json={"reason": "新卡密也用不了"}, headers=auth
    )
    assert reopened.status_code == 200, reopened.text
    assert reopened.json()["can_rate"] is False
    while_open = client.post(f"{BASE}/tickets/{number}/rating", json={"score": 5}, headers=auth)
    assert while_open.status_code == 409
    assert while_open.json()["error"]["code"] == "not_resolved_yet"

    resolve(client, login_headers(client, "l2"), ticket_id, "已换区服重新发货")
    assert client.get(f"{BASE}/tickets/{number}", headers=auth).json()["can_rate"] is True
    second = client.post(f"{BASE}/tickets/{number}/rating", json={"score": 5}, headers=auth)

    assert second.status_code == 201, second.text
    assert second.json()["rating"]["score"] == 5
    stored = ratings(database, number)
    assert [(r.resolution_round, r.score) for r in stored] == [(1, 2), (2, 5)]
    assert [r.agent_id for r in stored] == [team.l1.id, team.l2.id]


def test_concurrent_ratings_of_one_resolution_store_one(
    app: FastAPI, client: TestClient, database: Database, team: StaffTeam, delivered: ExampleOrder
) -> None:
    data, auth = submit(client, form(delivered))
    number = data["ticket"]["number"]
    resolve(client, login_headers(client, "l1"), staff_id(database, number), "已补发")
    url = f"{BASE}/tickets/{number}/rating"

    codes = all_at_once(app, lambda c: c.post(url, json={"score": 3}, headers=auth).status_code)

    assert sorted(codes) == [201, 409, 409, 409]
    assert len(ratings(database, number)) == 1


# --- reopen ------------------------------------------------------------------------------


def test_the_customer_can_reopen_a_resolved_ticket_and_it_goes_back_to_its_agent(
    client: TestClient, database: Database, team: StaffTeam, delivered: ExampleOrder
) -> None:
    data, auth = submit(client, form(delivered))
    number = data["ticket"]["number"]
    ticket_id = staff_id(database, number)
    agent = login_headers(client, "l1")
    assign(client, agent, ticket_id, team.l1.id)
    resolve(client, agent, ticket_id, "已补发")
    assert client.get(f"{BASE}/tickets/{number}", headers=auth).json()["can_reopen"] is True

    reopened = client.post(
        f"{BASE}/tickets/{number}/reopen", json={"reason": "还是不能用"}, headers=auth
    )

    assert reopened.status_code == 200, reopened.text
    view = reopened.json()
    assert view["status"] == "open" and view["stage"] == "in_progress"
    assert view["handler"] == "客服小一"
    assert view["resolved_at"] is None and view["resolution_note"] is None
    assert view["can_reopen"] is False
    assert view["timeline"][-1]["kind"] == "reopened"
    assert view["timeline"][-1]["text"] == "工单已重新打开"
    stored = ticket_row(database, number)
    assert stored.status == "open" and stored.resolved_at is None


def test_a_ticket_nobody_has_resolved_cannot_be_reopened(
    client: TestClient, database: Database, delivered: ExampleOrder
) -> None:
    data, auth = submit(client, form(delivered))
    number = data["ticket"]["number"]
    counts = row_counts(database)

    response = client.post(f"{BASE}/tickets/{number}/reopen", json={}, headers=auth)

    assert response.status_code == 409
    assert response.json()["error"] == {
        "code": "reopen_not_allowed",
        "message": "当前状态的工单不能重新打开",
    }
    assert row_counts(database) == counts
    assert ticket_row(database, number).status == "new"


def test_an_open_ticket_cannot_be_reopened_twice(
    client: TestClient, database: Database, team: StaffTeam, delivered: ExampleOrder
) -> None:
    data, auth = submit(client, form(delivered))
    number = data["ticket"]["number"]
    resolve(client, login_headers(client, "l1"), staff_id(database, number), "已补发")
    first = client.post(f"{BASE}/tickets/{number}/reopen", json={}, headers=auth)

    second = client.post(f"{BASE}/tickets/{number}/reopen", json={}, headers=auth)

    assert first.status_code == 200
    assert second.status_code == 409
    assert second.json()["error"]["code"] == "reopen_not_allowed"


def test_a_closed_ticket_can_be_reopened_as_the_status_machine_allows(
    client: TestClient, database: Database, team: StaffTeam, delivered: ExampleOrder
) -> None:
    data, auth = submit(client, form(delivered))
    number = data["ticket"]["number"]
    ticket_id = staff_id(database, number)
    agent = login_headers(client, "l1")
    assign(client, agent, ticket_id, team.l1.id)
    resolve(client, agent, ticket_id, "已补发")
    set_status(client, agent, ticket_id, "closed")

    reopened = client.post(f"{BASE}/tickets/{number}/reopen", json={}, headers=auth)

    assert reopened.status_code == 200, reopened.text
    assert reopened.json()["status"] == "open"
    assert ticket_row(database, number).closed_at is None


def test_a_reopen_reason_over_1000_characters_is_refused(
    client: TestClient, database: Database, team: StaffTeam, delivered: ExampleOrder
) -> None:
    data, auth = submit(client, form(delivered))
    number = data["ticket"]["number"]
    resolve(client, login_headers(client, "l1"), staff_id(database, number), "已补发")

    response = client.post(
        f"{BASE}/tickets/{number}/reopen", json={"reason": "长" * 1001}, headers=auth
    )

    assert response.status_code == 422
    assert ticket_row(database, number).status == "resolved"
