"""One customer across channels: WeChat then email, linked by a code, shown as one history.

The messages arrive through ``yiwen.channels.inbound.receive`` exactly as the
WeChat and email adapters hand them over after their signature checks; the
link is made with the one-time code the customer receives by email (read from
the outbox row the worker would send); the console reads the real HTTP API.
"""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.factories import StaffTeam, login_headers
from tests.identity.helpers import inbound, make_account, sent_code
from yiwen.auth.audit import AuditEntry
from yiwen.core.clock import FixedClock
from yiwen.core.db import Database
from yiwen.core.settings import Settings
from yiwen.identity import codes


def test_a_customer_who_starts_on_wechat_and_continues_by_email_has_one_history(
    client: TestClient,
    database: Database,
    clock: FixedClock,
    settings: Settings,
    team: StaffTeam,
) -> None:
    wechat = make_account(database, clock, settings, "wechat")
    mailbox = make_account(database, clock, settings, "email")
    first = inbound(database, clock, settings, wechat, "oOPENID-li", "wx-1", "卡密没收到，订单 123")
    clock.advance(timedelta(hours=2))
    second = inbound(
        database, clock, settings, mailbox, "Li.Lei@Example.com", "<m1@example.com>", "还是没收到"
    )
    assert first.customer_id != second.customer_id  # two records until proven to be one

    # The WeChat customer asks for a code to the address (the bot does this for them),
    # and returns the code that arrived in that mailbox.
    with database.transaction() as db:
        sent = codes.send_code(
            db, clock, settings, customer_id=first.customer_id, contact="li.lei@example.com"
        )
        verification_id = sent.attempt.id
    _kind, recipient, code = sent_code(database, verification_id)
    assert recipient == "li.lei@example.com"
    with database.transaction() as db:
        checked = codes.check_code(
            db,
            clock,
            settings,
            customer_id=first.customer_id,
            attempt_id=verification_id,
            code=code,
        )
        assert checked.outcome == "confirmed" and checked.linked is not None
        assert checked.linked.merge is not None
        assert checked.linked.customer_id == first.customer_id  # the older record survives

    staff = login_headers(client, "l1")
    history = client.get(f"/api/v1/customers/{first.customer_id}/history", headers=staff)
    assert history.status_code == 200, history.text
    body = history.json()
    assert {c["id"] for c in body["conversations"]} == {
        first.conversation_id,
        second.conversation_id,
    }
    assert {c["channel"] for c in body["conversations"]} == {"wechat", "email"}
    customer_lines = [m["body"] for m in body["messages"] if m["sender_type"] == "customer"]
    assert customer_lines == ["卡密没收到，订单 123", "还是没收到"]

    overview = client.get(f"/api/v1/customers/{first.customer_id}/overview", headers=staff)
    assert overview.status_code == 200, overview.text
    channels = {i["channel"] for i in overview.json()["identities"]}
    assert {"wechat", "email"} <= channels
    for conversation_id in (first.conversation_id, second.conversation_id):
        thread = client.get(f"/api/v1/conversations/{conversation_id}", headers=staff)
        assert thread.json()["conversation"]["customer_id"] == first.customer_id

    identities = client.get(f"/api/v1/customers/{first.customer_id}/identities", headers=staff)
    by_channel = {i["channel"]: i for i in identities.json()["identities"]}
    assert by_channel["email"]["source"] == "code"
    assert by_channel["email"]["merge_id"] == checked.linked.merge.id
    assert by_channel["wechat"]["source"] == "channel"
    absorbed = client.get(f"/api/v1/customers/{second.customer_id}/identities", headers=staff)
    assert absorbed.json()["merged_into"] == first.customer_id
    assert absorbed.json()["identities"] == []

    # The next mail from that address lands with the same customer.
    later = inbound(
        database, clock, settings, mailbox, "li.lei@example.com", "<m2@example.com>", "谢谢"
    )
    assert later.customer_id == first.customer_id
    with database.reading() as db:
        actions = set(db.scalars(select(AuditEntry.action)))
        assert {"customer.merge", "identity.link"} <= actions
