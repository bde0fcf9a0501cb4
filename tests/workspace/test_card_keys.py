"""Card keys stay masked everywhere staff look; a clear key is shown only to roles allowed to
see it, one key at a time, and every reveal is audited."""

from __future__ import annotations

import json

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.factories import StaffTeam
from tests.workspace.conftest import (
    Reported,
    Reporter,
    Seats,
    audit_entries,
    customer_view,
    events_of,
)
from yiwen.core.db import Database
from yiwen.store.connectors.demo.connector import DemoStoreConnector
from yiwen.store.connectors.demo.shop import ExampleOrder


@pytest.fixture
def keyed(report: Reporter, cases: dict[str, ExampleOrder]) -> tuple[Reported, str]:
    """A customer whose delivered card key had been used before the sale."""
    case = cases["key_used"]
    return report(
        category="card_invalid", order_no=case.order_no, contact=case.contact
    ), case.order_no


def _clear_keys(demo: DemoStoreConnector, order_no: str) -> list[str]:
    keys = [
        demo.reveal_card_key(order_no, k.key_id)
        for k in demo.get_order(order_no).delivery.card_keys
    ]
    assert keys, "the example order has no card keys"
    return keys


def _reveal(
    client: TestClient, headers: dict[str, str], order_no: str, key_id: str, **body: str
) -> httpx.Response:
    return client.post(
        f"/api/v1/orders/{order_no}/card-keys/{key_id}/reveal",
        json={"reason": "客户称卡密无效，核对卡密", **body},
        headers=headers,
    )


def test_no_staff_response_carries_a_clear_card_key(
    client: TestClient,
    keyed: tuple[Reported, str],
    seat: Seats,
    demo: DemoStoreConnector,
) -> None:
    ticket, order_no = keyed
    resend = client.post(
        f"/api/v1/tickets/{ticket.id}/actions",
        json={"action": "resend_delivery", "order_no": order_no, "reason": "重发"},
        headers=seat("l2") | {"Idempotency-Key": "resend-masked-1"},
    )
    assert resend.status_code == 201, resend.text
    headers = seat("l2")  # a role that may reveal still gets masked keys unless it asks
    responses = [
        resend,
        client.get(f"/api/v1/orders/{order_no}", headers=headers),
        client.get(f"/api/v1/customers/{ticket.customer_id}/overview", headers=headers),
        client.get(f"/api/v1/tickets/{ticket.id}", headers=headers),
        client.get(f"/api/v1/conversations/{ticket.conversation_id}", headers=headers),
        client.get("/api/v1/tickets", headers=headers),
    ]
    clear = _clear_keys(demo, order_no)
    for response in responses:
        assert response.status_code in (200, 201), response.text
        for key in clear:
            assert key not in response.text, response.request.url
            assert key.replace("-", "") not in response.text, response.request.url
    order = responses[1].json()
    assert [k["masked"] for k in order["delivery"]["card_keys"]] == [
        f"{key[:4]}****{key[-4:]}" for key in clear
    ]


@pytest.mark.parametrize("username", ["l2", "tech", "security", "supervisor", "admin"])
def test_a_role_allowed_to_reveal_gets_the_clear_key_and_the_reveal_is_audited(
    username: str,
    client: TestClient,
    keyed: tuple[Reported, str],
    seat: Seats,
    team: StaffTeam,
    demo: DemoStoreConnector,
    database: Database,
) -> None:
    _, order_no = keyed
    key = demo.get_order(order_no).delivery.card_keys[0]
    response = _reveal(client, seat(username), order_no, key.key_id)
    assert response.status_code == 200, response.text
    clear = demo.reveal_card_key(order_no, key.key_id)
    assert response.json() == {"key_id": key.key_id, "card_key": clear}

    [audit] = audit_entries(database, "card_key.reveal")
    staff = {
        "l2": team.l2,
        "tech": team.tech,
        "security": team.security,
        "supervisor": team.supervisor,
        "admin": team.admin,
    }[username]
    assert (audit.actor_id, audit.target_type, audit.target_id) == (
        staff.id,
        "card_key",
        key.key_id,
    )
    assert audit.after == {
        "order_no": order_no,
        "masked": key.masked,
        "reason": "客户称卡密无效，核对卡密",
    }
    assert clear not in json.dumps([audit.before, audit.after], ensure_ascii=False)


def test_a_reveal_for_a_ticket_is_on_its_internal_timeline_only(
    client: TestClient,
    keyed: tuple[Reported, str],
    seat: Seats,
    team: StaffTeam,
    demo: DemoStoreConnector,
    database: Database,
) -> None:
    ticket, order_no = keyed
    key = demo.get_order(order_no).delivery.card_keys[0]
    response = _reveal(client, seat("l2"), order_no, key.key_id, ticket_id=ticket.id)
    assert response.status_code == 200, response.text
    [event] = events_of(database, ticket.id, "card_key_revealed")
    assert (event.visibility, event.actor_id, event.body) == (
        "internal",
        team.l2.id,
        "客户称卡密无效，核对卡密",
    )
    assert event.data["text_params"] == {"order_no": order_no, "masked": key.masked}
    view = customer_view(client, ticket)
    assert "card_key_revealed" not in [e["kind"] for e in view["timeline"]]
    assert demo.reveal_card_key(order_no, key.key_id) not in json.dumps(view, ensure_ascii=False)


@pytest.mark.parametrize("username", ["l1", "finance", "supplier"])
def test_a_role_without_the_permission_is_refused_and_no_reveal_is_recorded(
    username: str,
    client: TestClient,
    keyed: tuple[Reported, str],
    seat: Seats,
    demo: DemoStoreConnector,
    database: Database,
) -> None:
    ticket, order_no = keyed
    key = demo.get_order(order_no).delivery.card_keys[0]
    response = _reveal(client, seat(username), order_no, key.key_id, ticket_id=ticket.id)
    assert response.status_code == 403, response.text
    assert response.json()["error"]["code"] == "permission_denied"
    assert demo.reveal_card_key(order_no, key.key_id) not in response.text
    assert not audit_entries(database, "card_key.reveal")
    assert not events_of(database, ticket.id, "card_key_revealed")


def test_a_key_of_another_order_is_not_revealed_through_this_one(
    client: TestClient,
    keyed: tuple[Reported, str],
    seat: Seats,
    cases: dict[str, ExampleOrder],
    demo: DemoStoreConnector,
    database: Database,
) -> None:
    _, order_no = keyed
    foreign = demo.get_order(cases["delivered_ok"].order_no).delivery.card_keys[0]
    response = _reveal(client, seat("l2"), order_no, foreign.key_id)
    assert response.status_code == 404, response.text
    assert response.json()["error"]["code"] == "card_key_not_found"
    unknown_order = _reveal(client, seat("l2"), "NOSUCHORDER0001", foreign.key_id)
    assert unknown_order.status_code == 404
    assert not audit_entries(database, "card_key.reveal")


def test_a_reveal_needs_a_reason(
    client: TestClient,
    keyed: tuple[Reported, str],
    seat: Seats,
    demo: DemoStoreConnector,
    database: Database,
) -> None:
    _, order_no = keyed
    key = demo.get_order(order_no).delivery.card_keys[0]
    response = client.post(
        f"/api/v1/orders/{order_no}/card-keys/{key.key_id}/reveal", json={}, headers=seat("l2")
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "invalid_request"
    assert not audit_entries(database, "card_key.reveal")


def test_security_finds_every_reveal_in_the_audit_log(
    client: TestClient,
    keyed: tuple[Reported, str],
    seat: Seats,
    team: StaffTeam,
    demo: DemoStoreConnector,
) -> None:
    _, order_no = keyed
    keys = demo.get_order(order_no).delivery.card_keys
    for key in keys:
        assert _reveal(client, seat("tech"), order_no, key.key_id).status_code == 200
    log = client.get(
        "/api/v1/audit", params={"action": "card_key.reveal"}, headers=seat("security")
    )
    assert log.status_code == 200, log.text
    entries = log.json()["items"]
    assert sorted(e["target_id"] for e in entries) == sorted(k.key_id for k in keys)
    assert {e["actor_id"] for e in entries} == {team.tech.id}
