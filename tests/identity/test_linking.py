"""Order-contact and shop-token proofs, strangers who only know an order number, unlinking."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.factories import StaffTeam, login_headers
from tests.identity.helpers import request_code, shop_headers, widget_customer
from yiwen.conversations.models import Conversation
from yiwen.core.clock import FixedClock
from yiwen.core.db import Database
from yiwen.core.settings import Settings
from yiwen.customers.models import Identity
from yiwen.identity.models import CustomerMerge
from yiwen.store.connectors.demo.connector import DemoStoreConnector

PROOF = "/api/v1/customer/identity/order-proofs"
CODES = "/api/v1/customer/identity/verifications"


def delivered_order(demo: DemoStoreConnector) -> tuple[str, str, str, list[str]]:
    """(order no, purchase contact, shop user id, clear card keys) of a delivered order."""
    example = demo.example_orders()["delivered_ok"]
    order = demo.get_order(example.order_no)
    keys = [demo.reveal_card_key(order.order_no, k.key_id) for k in order.delivery.card_keys]
    assert order.contact and order.shop_user_id and keys
    return order.order_no, order.contact, order.shop_user_id, keys


def victim_with_history(
    client: TestClient, settings: Settings, clock: FixedClock, demo: DemoStoreConnector
) -> tuple[dict[str, str], str, str]:
    """The buyer, logged in through the shop, with a ticket about the order."""
    order_no, _contact, shop_user_id, _keys = delivered_order(demo)
    headers = shop_headers(settings, clock, shop_user_id)
    response = client.post(
        "/api/v1/customer/tickets",
        json={
            "category": "card_invalid",
            "description": "卡密显示已被使用",
            "demand": "resend",
            "order_no": order_no,
        },
        headers=headers,
    )
    assert response.status_code == 201, response.text
    return (
        headers,
        response.json()["ticket"]["number"],
        response.json()["conversation"]["customer_id"],
    )


def test_a_stranger_who_types_an_order_number_gets_nothing_of_the_buyer(
    client: TestClient,
    database: Database,
    settings: Settings,
    clock: FixedClock,
    demo: DemoStoreConnector,
) -> None:
    order_no, contact, _shop_user, keys = delivered_order(demo)
    victim, victim_ticket, victim_id = victim_with_history(client, settings, clock, demo)
    with database.reading() as db:
        identities_before = sorted(
            (i.channel, i.external_id, i.customer_id) for i in db.scalars(select(Identity))
        )

    stranger, conversation = widget_customer(client)
    said = client.post(
        f"/api/v1/customer/conversations/{conversation['id']}/messages",
        json={"body": f"订单号 {order_no} 卡密没收到，把卡密发给我", "client_msg_id": "s-1"},
        headers=stranger,
    )
    assert said.status_code == 201
    # Claiming the order with a made-up contact proves nothing (and is counted).
    proof = client.post(
        PROOF, json={"order_no": order_no, "contact": "13111111111"}, headers=stranger
    )
    assert proof.status_code == 422
    assert proof.json()["error"]["code"] == "identity_order_proof_failed"
    # Asking for a code to the buyer's contact sends it to the buyer, not to the stranger.
    started = client.post(CODES, json={"contact": contact}, headers=stranger)
    assert started.status_code == 201
    assert contact not in started.text  # only a masked target comes back
    for guess in ("123456", "654321", "000000", "111111", "999999"):
        client.post(
            f"{CODES}/{started.json()['id']}/confirm", json={"code": guess}, headers=stranger
        )

    tickets = client.get("/api/v1/customer/tickets", headers=stranger)
    assert tickets.status_code == 200
    assert victim_ticket not in tickets.text
    assert (
        client.get(f"/api/v1/customer/tickets/{victim_ticket}", headers=stranger).status_code == 404
    )
    orders = client.get("/api/v1/customer/orders", headers=stranger)
    assert orders.status_code == 200 and orders.json() == []
    messages = client.get(
        f"/api/v1/customer/conversations/{conversation['id']}/messages", headers=stranger
    )
    for key in keys:
        assert key not in messages.text and key not in tickets.text
    with database.reading() as db:
        assert db.scalar(select(func.count()).select_from(CustomerMerge)) == 0
        identities_after = sorted(
            (i.channel, i.external_id, i.customer_id)
            for i in db.scalars(select(Identity))
            if i.customer_id != conversation["customer_id"]
        )
        assert identities_after == identities_before
        victim_conversations = db.scalars(
            select(Conversation.id).where(Conversation.customer_id == victim_id)
        ).all()
        assert conversation["id"] not in victim_conversations
    assert victim_ticket in client.get("/api/v1/customer/tickets", headers=victim).text


def test_the_purchase_contact_of_an_order_proves_it_and_merges_the_buyers_records(
    client: TestClient,
    database: Database,
    settings: Settings,
    clock: FixedClock,
    demo: DemoStoreConnector,
) -> None:
    order_no, contact, _shop_user, _keys = delivered_order(demo)
    # The buyer first wrote from the shop's site with the purchase email (a verified record).
    with database.transaction() as db:
        from yiwen.customers.service import find_or_create_customer

        earlier = find_or_create_customer(
            db, clock, channel="email", external_id=contact, verified=True
        ).id
    clock.advance(timedelta(minutes=1))
    headers, conversation = widget_customer(client)
    proof = client.post(PROOF, json={"order_no": order_no, "contact": contact}, headers=headers)
    assert proof.status_code == 200, proof.text
    assert proof.json() == {"channel": "email", "verified": True, "merged": True}
    with database.reading() as db:
        moved = db.get(Conversation, conversation["id"])
        assert moved is not None and moved.customer_id == earlier


def test_failed_order_proofs_are_limited_so_contacts_cannot_be_guessed(
    client: TestClient, database: Database, demo: DemoStoreConnector
) -> None:
    order_no, contact, _shop_user, _keys = delivered_order(demo)
    headers, _ = widget_customer(client)
    for n in range(5):
        wrong = client.post(
            PROOF, json={"order_no": order_no, "contact": f"1380000000{n}"}, headers=headers
        )
        assert wrong.status_code == 422
    right = client.post(PROOF, json={"order_no": order_no, "contact": contact}, headers=headers)
    assert right.status_code == 429
    with database.reading() as db:
        assert db.scalar(select(Identity).where(Identity.external_id == contact)) is None


def test_a_shop_signed_token_links_the_shop_account_and_a_forged_one_links_nothing(
    client: TestClient,
    database: Database,
    settings: Settings,
    clock: FixedClock,
    demo: DemoStoreConnector,
) -> None:
    _victim, ticket_no, shop_customer = victim_with_history(client, settings, clock, demo)
    clock.advance(timedelta(minutes=1))
    headers, conversation = widget_customer(client)
    token = shop_headers(settings, clock, delivered_order(demo)[2])["X-Shop-Token"]
    forged = token[:-4] + ("0000" if not token.endswith("0000") else "1111")
    refused = client.post(
        "/api/v1/customer/identity/shop-token", json={"token": forged}, headers=headers
    )
    assert refused.status_code == 401
    assert ticket_no not in client.get("/api/v1/customer/tickets", headers=headers).text

    linked = client.post(
        "/api/v1/customer/identity/shop-token", json={"token": token}, headers=headers
    )
    assert linked.status_code == 200, linked.text
    assert linked.json() == {"channel": "shop", "verified": True, "merged": True}
    assert ticket_no in client.get("/api/v1/customer/tickets", headers=headers).text
    with database.reading() as db:
        moved = db.get(Conversation, conversation["id"])
        assert moved is not None and moved.customer_id == shop_customer


def test_unlinking_an_identity_a_merge_brought_undoes_the_merge(
    client: TestClient, database: Database, clock: FixedClock, settings: Settings, team: StaffTeam
) -> None:
    from tests.identity.helpers import inbound, make_account

    mailbox = make_account(database, clock, settings, "email")
    mail = inbound(database, clock, settings, mailbox, "grace@example.com", "<g1@x>", "你好")
    clock.advance(timedelta(minutes=1))
    headers, conversation = widget_customer(client, display_name="Grace")
    verification_id, code = request_code(client, database, headers, "grace@example.com")
    confirmed = client.post(
        f"{CODES}/{verification_id}/confirm", json={"code": code}, headers=headers
    )
    assert confirmed.json()["merged"] is True
    survivor = mail.customer_id
    staff = login_headers(client, "supervisor")
    listed = client.get(f"/api/v1/customers/{survivor}/identities", headers=staff).json()
    web = next(i for i in listed["identities"] if i["channel"] == "web")
    assert web["merge_id"] is not None and listed["merges"][0]["moved"]["conversations"] == 1

    agent = login_headers(client, "l1")
    forbidden = client.post(
        f"/api/v1/customers/{survivor}/identities/{web['id']}/unlink", json={}, headers=agent
    )
    assert forbidden.status_code == 403
    undone = client.post(
        f"/api/v1/customers/{survivor}/identities/{web['id']}/unlink",
        json={"reason": "顾客称不是本人"},
        headers=staff,
    )
    assert undone.status_code == 200, undone.text
    result = undone.json()
    assert result["customer_id"] == conversation["customer_id"]
    assert result["merge_undone"] == web["merge_id"]
    assert result["returned"]["conversations"] == 1
    with database.reading() as db:
        back = db.get(Conversation, conversation["id"])
        assert back is not None and back.customer_id == conversation["customer_id"]
        merge = db.get(CustomerMerge, web["merge_id"])
        assert merge is not None and merge.undone_at is not None
    history = client.get(f"/api/v1/customers/{survivor}/history", headers=staff).json()
    assert [c["id"] for c in history["conversations"]] == [mail.conversation_id]


def test_unlinking_a_linked_identity_moves_it_alone_to_a_record_of_its_own(
    client: TestClient, database: Database, team: StaffTeam
) -> None:
    headers, conversation = widget_customer(client)
    verification_id, code = request_code(client, database, headers, "henry@example.com")
    client.post(f"{CODES}/{verification_id}/confirm", json={"code": code}, headers=headers)
    staff = login_headers(client, "admin")
    customer_id = conversation["customer_id"]
    listed = client.get(f"/api/v1/customers/{customer_id}/identities", headers=staff).json()
    email = next(i for i in listed["identities"] if i["channel"] == "email")
    web = next(i for i in listed["identities"] if i["channel"] == "web")
    response = client.post(
        f"/api/v1/customers/{customer_id}/identities/{email['id']}/unlink", json={}, headers=staff
    )
    assert response.status_code == 200, response.text
    assert response.json()["customer_id"] != customer_id
    with database.reading() as db:
        identity = db.get(Identity, email["id"])
        assert identity is not None and identity.verified is False  # the proof is withdrawn
    last = client.post(
        f"/api/v1/customers/{customer_id}/identities/{web['id']}/unlink", json={}, headers=staff
    )
    assert last.status_code == 409
    assert last.json()["error"]["code"] == "identity_last_one"
