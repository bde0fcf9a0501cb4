"""The public conversation API as the widget and shop apps use it."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from yiwen.conversations.access import sign_shop_token
from yiwen.conversations.models import Message
from yiwen.core.clock import FixedClock
from yiwen.core.db import Database
from yiwen.core.settings import Settings

BASE = "/api/v1/customer"


@pytest.fixture(params=["inline", "deferred"])
def settings(settings: Settings, request: pytest.FixtureRequest) -> Settings:
    """Every rule here holds on both paths: the request's own transaction, and the fast
    intake (text messages with a conversation token) that defers the reactions."""
    return settings.model_copy(update={"message_reactions": request.param})


def start(client: TestClient, **body: object) -> tuple[str, dict[str, str]]:
    response = client.post(f"{BASE}/conversations", json=body or {})
    assert response.status_code == 201, response.text
    data = response.json()
    return data["conversation"]["id"], {"X-Conversation-Token": data["token"]}


def test_a_message_sent_twice_with_one_client_id_is_stored_once(
    client: TestClient, database: Database
) -> None:
    conversation_id, auth = start(client)
    body = {"client_msg_id": "m-1", "body": "卡密没收到，订单 K7Q2M9X4T1B8C3D6"}
    first = client.post(f"{BASE}/conversations/{conversation_id}/messages", json=body, headers=auth)
    again = client.post(f"{BASE}/conversations/{conversation_id}/messages", json=body, headers=auth)
    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    with database.reading() as db:
        assert db.scalar(select(func.count()).select_from(Message)) == 1


def test_reusing_a_client_id_for_other_text_is_a_conflict(client: TestClient) -> None:
    conversation_id, auth = start(client)
    url = f"{BASE}/conversations/{conversation_id}/messages"
    client.post(url, json={"client_msg_id": "m-1", "body": "第一条"}, headers=auth)
    response = client.post(url, json={"client_msg_id": "m-1", "body": "另一条"}, headers=auth)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "client_msg_id_reused"


def test_messages_page_by_cursor_without_gaps_or_repeats(client: TestClient) -> None:
    conversation_id, auth = start(client)
    url = f"{BASE}/conversations/{conversation_id}/messages"
    for i in range(7):
        client.post(url, json={"client_msg_id": f"m-{i}", "body": f"消息{i}"}, headers=auth)
    seen: list[str] = []
    after = None
    while True:
        params = {"limit": 3} | ({"after": after} if after is not None else {})
        page = client.get(url, params=params, headers=auth).json()
        seen.extend(m["body"] for m in page["items"])
        after = page["next_cursor"]
        if after is None:
            break
    assert seen == [f"消息{i}" for i in range(7)]


def test_a_customer_cannot_read_or_write_another_customers_conversation(
    client: TestClient,
) -> None:
    _mine, my_auth = start(client)
    theirs, _ = start(client)
    assert client.get(f"{BASE}/conversations/{theirs}", headers=my_auth).status_code == 404
    response = client.post(
        f"{BASE}/conversations/{theirs}/messages",
        json={"client_msg_id": "x-1", "body": "hi"},
        headers=my_auth,
    )
    assert response.status_code == 404
    assert client.get(f"{BASE}/conversations/{theirs}/messages", headers=my_auth).status_code == 404


def test_wrong_or_missing_tokens_are_refused_with_a_json_error(client: TestClient) -> None:
    conversation_id, _ = start(client)
    url = f"{BASE}/conversations/{conversation_id}"
    missing = client.get(url)
    wrong = client.get(url, headers={"X-Conversation-Token": "not-a-token"})
    assert missing.status_code == 401
    assert missing.json()["error"]["code"] == "customer_token_missing"
    assert wrong.status_code == 401
    assert wrong.json()["error"]["message"]


def test_malformed_json_and_bad_fields_are_4xx_and_store_nothing(
    client: TestClient, database: Database
) -> None:
    conversation_id, auth = start(client)
    url = f"{BASE}/conversations/{conversation_id}/messages"
    broken = client.post(
        url,
        content=b'{"client_msg_id": "a", "body": ',
        headers=auth | {"content-type": "application/json"},
    )
    empty = client.post(url, json={"client_msg_id": "a", "body": "   "}, headers=auth)
    bad_id = client.post(url, json={"client_msg_id": "a b<script>", "body": "x"}, headers=auth)
    too_long = client.post(url, json={"client_msg_id": "a", "body": "长" * 6000}, headers=auth)
    assert broken.status_code == 400 and broken.json()["error"]["code"] == "malformed_json"
    assert empty.status_code == 422 and empty.json()["error"]["code"] == "message_empty"
    assert bad_id.status_code == 422 and bad_id.json()["error"]["code"] == "invalid_request"
    assert too_long.status_code == 422 and too_long.json()["error"]["code"] == "message_too_long"
    with database.reading() as db:
        assert db.scalar(select(func.count()).select_from(Message)) == 0


def test_errors_speak_english_when_asked(client: TestClient) -> None:
    response = client.get(
        f"{BASE}/conversations/nope",
        headers={"Accept-Language": "en-US", "X-Conversation-Token": "bad"},
    )
    assert response.json()["error"]["message"] == "The customer token is invalid or expired"


def test_a_shop_signed_token_names_the_shop_user_and_forgeries_fail(
    client: TestClient, settings: Settings, clock: FixedClock
) -> None:
    secret = settings.resolved_shop_token_secret()
    now = int(clock.now().timestamp())
    expires = now + 600
    good = sign_shop_token(secret, "u10086", expires)
    first = client.post(f"{BASE}/conversations", json={}, headers={"X-Shop-Token": good})
    second = client.post(f"{BASE}/conversations", json={}, headers={"X-Shop-Token": good})
    assert first.status_code == second.status_code == 201
    assert (
        first.json()["conversation"]["customer_id"] == second.json()["conversation"]["customer_id"]
    )

    forged = sign_shop_token("wrong-secret", "u10086", expires)
    other_user = good.replace("u10086", "u10087", 1)
    expired = sign_shop_token(secret, "u10086", now - 10)
    for token in (forged, other_user, expired, "garbage"):
        response = client.post(f"{BASE}/conversations", json={}, headers={"X-Shop-Token": token})
        assert response.status_code == 401, token
