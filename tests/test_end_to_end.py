"""The whole path over real HTTP and WebSocket on loopback (uvicorn in a thread).

A customer reports a missing card key for a demo order whose supplier push
failed; an agent logs in, finds the conversation, opens the customer 360, sees
the failed push, re-pushes, replies and resolves; the customer follows the
public timeline and rates it; the audit log holds every step. The same run
proves that an agent_l1 cannot refund above their limit and that another
customer cannot read this customer's ticket, order or attachment.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
import websockets
from fastapi import FastAPI

from tests.factories import STAFF_PASSWORD, StaffTeam
from tests.support.live import serve
from yiwen.core.clock import FixedClock
from yiwen.core.settings import Settings
from yiwen.store.connectors.demo.connector import DemoStoreConnector

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The human path: the bot is switched off here (tests/test_end_to_end_bot.py has it on)."""
    return settings.model_copy(update={"bot_enabled": False})


@pytest.fixture
def base_url(app: FastAPI) -> Iterator[str]:
    with serve(app) as url:
        yield url


def _staff_ws_url(base_url: str, token: str) -> str:
    return base_url.replace("http://", "ws://") + f"/api/v1/staff/ws?token={token}"


async def _next_event(url: str, trigger: object, wanted: str) -> dict[str, object]:
    """Connect, wait for ``ready``, run ``trigger`` in a thread, return the first ``wanted``."""
    async with websockets.connect(url) as socket:
        assert json.loads(await socket.recv())["type"] == "ready"
        await asyncio.to_thread(trigger)  # type: ignore[arg-type]
        async with asyncio.timeout(10):
            while True:
                event = json.loads(await socket.recv())
                if event["type"] == wanted:
                    return event  # type: ignore[no-any-return]


def test_a_missing_card_key_is_reported_fixed_resolved_and_rated_over_real_http(
    base_url: str, team: StaffTeam, demo: DemoStoreConnector, clock: FixedClock
) -> None:
    case = demo.example_orders()["push_failed"]
    customer = httpx.Client(base_url=base_url, timeout=10)
    agent = httpx.Client(base_url=base_url, timeout=10)

    # The agent logs in first (the console's cookie session, with its CSRF token).
    login = agent.post(
        "/api/v1/auth/login", json={"username": team.l1.username, "password": STAFF_PASSWORD}
    )
    assert login.status_code == 200, login.text
    staff_token = login.json()["token"]
    csrf = {"X-CSRF-Token": login.json()["csrf_token"]}
    assert "yiwen_session" in agent.cookies

    # The customer opens the widget and says what is wrong; the agent's socket hears it live.
    started = customer.post("/api/v1/customer/conversations", json={"contact": case.contact})
    assert started.status_code == 201, started.text
    conversation_id = started.json()["conversation"]["id"]
    customer.headers["X-Conversation-Token"] = started.json()["token"]
    complaint = f"订单号 {case.order_no}，付款了一直没收到卡密"

    def send_complaint() -> None:
        sent = customer.post(
            f"/api/v1/customer/conversations/{conversation_id}/messages",
            json={"client_msg_id": "c-1", "body": complaint},
        )
        assert sent.status_code == 201, sent.text

    event = asyncio.run(
        _next_event(_staff_ws_url(base_url, staff_token), send_complaint, "message.created")
    )
    assert event["message"]["conversation_id"] == conversation_id  # type: ignore[index]
    assert event["message"]["body"] == complaint  # type: ignore[index]

    # Evidence: a screenshot of the payment.
    upload = customer.post(
        f"/api/v1/customer/conversations/{conversation_id}/attachments",
        files={"file": ("pay.png", PNG, "image/png")},
    )
    assert upload.status_code == 201, upload.text
    attachment_id = upload.json()["id"]

    # The agent finds the conversation in the unassigned inbox and opens a ticket on the order.
    inbox = agent.get("/api/v1/inbox/conversations", params={"view": "unassigned"})
    assert inbox.status_code == 200, inbox.text
    assert conversation_id in [c["id"] for c in inbox.json()["items"]]
    opened = agent.post(
        f"/api/v1/conversations/{conversation_id}/tickets",
        json={
            "category": "delivery_missing",
            "subject": "付款后未收到卡密",
            "order_nos": [case.order_no],
        },
        headers=csrf,
    )
    assert opened.status_code == 201, opened.text
    ticket = opened.json()["ticket"]
    ticket_id, number = ticket["id"], ticket["number"]
    assert number.startswith("YW20261122-")
    assert ticket["first_response_due_at"] is not None

    # Customer 360: the order with its failed upstream push.
    overview = agent.get(f"/api/v1/customers/{ticket['customer_id']}/overview")
    assert overview.status_code == 200, overview.text
    orders = {o["order_no"]: o for o in overview.json()["orders"]}
    assert case.order_no in orders
    pushes = orders[case.order_no]["upstream_pushes"]
    assert pushes and pushes[-1]["status"] == "failed" and pushes[-1]["error"]
    assert [t["number"] for t in overview.json()["tickets"]] == [number]

    # Re-push through the connector: idempotent by key, on the public timeline.
    supplier = orders[case.order_no]["supplier"]
    demo.shop.force_next_push_outcome(supplier, "succeeded")
    action = {"action": "repush_upstream", "order_no": case.order_no, "reason": "上游推送失败"}
    key = {"Idempotency-Key": f"repush-{ticket_id}"}
    repushed = agent.post(f"/api/v1/tickets/{ticket_id}/actions", json=action, headers=csrf | key)
    assert repushed.status_code == 201, repushed.text
    assert repushed.json()["replayed"] is False
    again = agent.post(f"/api/v1/tickets/{ticket_id}/actions", json=action, headers=csrf | key)
    assert again.status_code == 200 and again.json()["replayed"] is True
    assert again.json()["reference"] == repushed.json()["reference"]
    clock.advance(timedelta(minutes=10))
    order = demo.get_order(case.order_no)
    assert len(order.upstream_pushes) == len(pushes) + 1  # one new push, not two
    assert order.delivery.status == "delivered", order.delivery
    assert order.delivery.card_keys and all("*" in k.masked for k in order.delivery.card_keys)

    # An agent_l1 may refund 50 元 at most: 50.01 is refused and nothing moves.
    refund = {"action": "refund", "order_no": case.order_no, "amount": "50.01", "reason": "补偿"}
    refused = agent.post(
        f"/api/v1/tickets/{ticket_id}/actions",
        json=refund,
        headers=csrf | {"Idempotency-Key": f"refund-{ticket_id}"},
    )
    assert refused.status_code == 403, refused.text
    assert refused.json()["error"]["code"] == "refund_above_limit"
    assert demo.get_order(case.order_no).refunded_amount == Decimal("0")

    # Reply, then resolve with a note.
    reply = agent.post(
        f"/api/v1/tickets/{ticket_id}/replies",
        json={"body": "已为您重新向上游发起充值，卡密已发放，请查收。"},
        headers=csrf,
    )
    assert reply.status_code == 201, reply.text
    resolved = agent.post(
        f"/api/v1/tickets/{ticket_id}/resolve",
        json={"note": "上游推送失败，已重推成功并发放卡密"},
        headers=csrf,
    )
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["ticket"]["status"] == "resolved"

    # The customer sees the public timeline (never internal events) and rates the resolution.
    view = customer.get(f"/api/v1/customer/tickets/{number}")
    assert view.status_code == 200, view.text
    public = view.json()
    assert public["status"] == "resolved" and public["can_rate"] is True
    assert public["handler"] == team.l1.display_name
    kinds = [entry["kind"] for entry in public["timeline"]]
    assert "action.repush_upstream" in kinds, kinds
    assert "reply" in kinds and "resolved" in kinds, kinds
    assert all(entry["kind"] != "note" for entry in public["timeline"])
    messages = customer.get(f"/api/v1/customer/conversations/{conversation_id}/messages")
    bodies = [m["body"] for m in messages.json()["items"]]
    assert "已为您重新向上游发起充值，卡密已发放，请查收。" in bodies
    assert any(number in body for body in bodies)  # the CSAT invitation names the ticket
    rated = customer.post(
        f"/api/v1/customer/tickets/{number}/rating", json={"score": 5, "comment": "很快，谢谢"}
    )
    assert rated.status_code in (200, 201), rated.text
    twice = customer.post(f"/api/v1/customer/tickets/{number}/rating", json={"score": 1})
    assert twice.status_code == 409, twice.text

    # Another customer: none of it exists for them.
    stranger = httpx.Client(base_url=base_url, timeout=10)
    other = stranger.post("/api/v1/customer/conversations", json={}).json()
    stranger.headers["X-Conversation-Token"] = other["token"]
    assert stranger.get(f"/api/v1/customer/tickets/{number}").status_code == 404
    assert stranger.get(f"/api/v1/customer/attachments/{attachment_id}").status_code == 404
    assert (
        stranger.get(f"/api/v1/customer/conversations/{conversation_id}/messages").status_code
        == 404
    )
    lookup = stranger.post(
        "/api/v1/customer/orders/lookup",
        json={"order_no": case.order_no, "contact": "13900000000"},
    )
    assert lookup.status_code == 404, lookup.text
    tracked = stranger.post(
        "/api/v1/customer/tickets/track", json={"number": number, "contact": "13900000000"}
    )
    assert tracked.status_code == 404, tracked.text
    assert customer.get(f"/api/v1/customer/attachments/{attachment_id}").content == PNG

    # The audit log (read by security) holds each step, with who did it.
    auditor = httpx.Client(base_url=base_url, timeout=10)
    token = auditor.post(
        "/api/v1/auth/login",
        json={"username": team.security.username, "password": STAFF_PASSWORD},
    ).json()["token"]
    auditor.headers["Authorization"] = f"Bearer {token}"
    entries = auditor.get("/api/v1/audit", params={"limit": 200}).json()["items"]
    by_l1 = [e["action"] for e in entries if e["actor_id"] == team.l1.id]
    for step in (
        "auth.login",
        "ticket.create",
        "order.repush_upstream",
        "ticket.reply",
        "ticket.resolve",
    ):
        assert step in by_l1, (step, by_l1)
    assert by_l1.count("order.repush_upstream") == 1  # the replay is not a second action
    assert "order.refund" not in by_l1  # the refused refund changed nothing
    repush = next(e for e in entries if e["action"] == "order.repush_upstream")
    assert repush["target_id"] == case.order_no or repush["after"], repush
    for client in (customer, agent, stranger, auditor):
        client.close()
