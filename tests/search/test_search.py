"""Staff search over messages and tickets, through the HTTP API on the real database.

Runs on SQLite (FTS5) and, with YIWEN_TEST_DB=postgresql, on PostgreSQL (GIN over
a tsvector built from jieba's words).
"""

from __future__ import annotations

import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.factories import StaffTeam, login_headers
from yiwen.core.db import Database
from yiwen.migrations import upgrade
from yiwen.search.terms import index_terms, query_terms

BASE = "/api/v1/customer"


def customer_says(client: TestClient, *bodies: str) -> tuple[str, dict[str, str]]:
    started = client.post(f"{BASE}/conversations", json={})
    assert started.status_code == 201, started.text
    data = started.json()
    auth = {"X-Conversation-Token": data["token"]}
    conversation_id = data["conversation"]["id"]
    for n, body in enumerate(bodies):
        sent = client.post(
            f"{BASE}/conversations/{conversation_id}/messages",
            json={"client_msg_id": f"m{n}", "body": body},
            headers=auth,
        )
        assert sent.status_code in (200, 201), sent.text
    return conversation_id, auth


def search(client: TestClient, staff: dict[str, str], q: str, **params: object) -> dict:
    response = client.get("/api/v1/search", params={"q": q, **params}, headers=staff)
    assert response.status_code == 200, response.text
    return response.json()


def test_domain_words_are_single_terms() -> None:
    # The custom dictionary keeps game and problem words whole, so a query for the
    # game does not match every message that mentions 王 or 荣.
    assert "王者荣耀" in query_terms("王者荣耀点券没到账")
    assert "卡密" in index_terms("我的卡密无效")
    assert query_terms("  ，。！？ ") == []


def test_finds_chinese_words_newest_first_with_snippets(
    client: TestClient, team: StaffTeam
) -> None:
    staff = login_headers(client, "l1")
    first, _ = customer_says(client, "王者荣耀点券充值了还没到账")
    customer_says(client, "和平精英的卡密无效，提示已使用")
    second, _ = customer_says(client, "昨天买的王者荣耀月卡也没到")

    found = search(client, staff, "王者荣耀")
    assert [hit["conversation_id"] for hit in found["items"]] == [second, first]
    assert all(
        hit["kind"] == "message" and hit["sender_type"] == "customer" for hit in found["items"]
    )
    assert "王者荣耀" in found["items"][0]["snippet"]
    # Every word must match: the game and 月卡 only meet in the second conversation.
    both = search(client, staff, "王者荣耀 月卡")
    assert [hit["conversation_id"] for hit in both["items"]] == [second]
    assert search(client, staff, "原神")["items"] == []


def test_order_numbers_match_whole_and_by_prefix(client: TestClient, team: StaffTeam) -> None:
    staff = login_headers(client, "l1")
    conversation_id, _ = customer_says(client, "订单 K7Q2M9X4T1B8 卡密没收到")
    whole = search(client, staff, "k7q2m9x4t1b8")
    assert [hit["conversation_id"] for hit in whole["items"]] == [conversation_id]
    typed_in_part = search(client, staff, "K7Q2M9")
    assert [hit["conversation_id"] for hit in typed_in_part["items"]] == [conversation_id]
    assert search(client, staff, "K7Q2X")["items"] == []


def test_tickets_and_internal_notes_are_found_and_filtered_by_kind(
    client: TestClient, team: StaffTeam
) -> None:
    staff = login_headers(client, "l1")
    conversation_id, _ = customer_says(client, "你好")
    ticket = client.post(
        f"/api/v1/conversations/{conversation_id}/tickets",
        json={"subject": "上游供应商推送失败的充值单", "category": "delivery_missing"},
        headers=staff,
    )
    assert ticket.status_code == 201, ticket.text
    number = ticket.json()["ticket"]["number"]
    note = client.post(
        f"/api/v1/tickets/{ticket.json()['ticket']['id']}/notes",
        json={"body": "供应商技术说推送接口超时，已人工补单"},
        headers=staff,
    )
    assert note.status_code == 201, note.text

    tickets = search(client, staff, "供应商", kind="ticket")
    assert [(hit["kind"], hit["ticket_number"]) for hit in tickets["items"]] == [("ticket", number)]
    messages = search(client, staff, "供应商", kind="message")
    assert [(hit["kind"], hit["visibility"]) for hit in messages["items"]] == [
        ("message", "internal")
    ]
    assert len(search(client, staff, "供应商")["items"]) == 2
    assert [hit["ticket_number"] for hit in search(client, staff, number)["items"]] == [number]


def test_pages_follow_the_cursor_without_repeats(client: TestClient, team: StaffTeam) -> None:
    staff = login_headers(client, "l1")
    customer_says(client, *[f"第{n}次催单 点券没到账" for n in range(7)])
    seen: list[int] = []
    page = search(client, staff, "点券", limit=3)
    while True:
        seen.extend(hit["message_id"] for hit in page["items"])
        if page["next_before"] is None:
            break
        page = search(client, staff, "点券", limit=3, before=page["next_before"])
    assert len(seen) == 7 and len(set(seen)) == 7
    assert seen == sorted(seen, reverse=True)


def test_bad_queries_get_clear_errors(client: TestClient, team: StaffTeam) -> None:
    staff = login_headers(client, "l1")
    empty = client.get("/api/v1/search", params={"q": "？？！"}, headers=staff)
    assert empty.status_code == 422
    assert empty.json()["error"]["code"] == "search_query_empty"
    assert "搜索" in empty.json()["error"]["message"]
    # Syntax of the engines' query languages is only ever words to us.
    for hostile in [
        '"王者',
        "点券 OR 1=1",
        "a & b | !c",
        "NEAR(x y)",
        "'; DROP TABLE messages; --",
    ]:
        assert client.get("/api/v1/search", params={"q": hostile}, headers=staff).status_code in (
            200,
            422,
        )
    assert client.get("/api/v1/search", params={"q": "x" * 201}, headers=staff).status_code == 422
    assert client.get("/api/v1/search", params={"q": "点券"}).status_code == 401
    _, customer = customer_says(client, "点券没到")
    assert client.get("/api/v1/search", params={"q": "点券"}, headers=customer).status_code == 401


def test_upgrading_indexes_the_existing_history(database_factory, clock) -> None:  # type: ignore[no-untyped-def]
    url = database_factory.new_url()
    try:
        Database(url).dispose()
        # A database from before search (the template is at head: go back one step first).
        from alembic import command

        from yiwen.migrations import alembic_config

        command.downgrade(alembic_config(url), "0014")
        database = Database(url)
        with database.transaction() as db:
            db.execute(
                sa.text(
                    "INSERT INTO customers (id, display_name, tier, tags, created_at, updated_at) "
                    "VALUES ('c1', '老顾客', 'normal', '[]', :now, :now)"
                ),
                {"now": clock.now()},
            )
            db.execute(
                sa.text(
                    "INSERT INTO conversations (id, customer_id, channel, status, last_message_at, "
                    "last_message_preview, unread_for_staff, created_at, updated_at) "
                    "VALUES ('v1', 'c1', 'web', 'open', :now, '', 0, :now, :now)"
                ),
                {"now": clock.now()},
            )
            db.execute(
                sa.text(
                    "INSERT INTO messages (conversation_id, sender_type, body, visibility, "
                    "attachment_ids, created_at) VALUES ('v1', 'customer', :body, "
                    "'public', '[]', :now)"
                ),
                {"now": clock.now(), "body": "去年的腾讯视频会员没开通"},
            )
        database.dispose()
        upgrade(url)
        database = Database(url)
        with database.transaction() as db:
            from yiwen.search.service import search as run_search

            hits, _ = run_search(db, "腾讯视频 会员")
        database.dispose()
        assert [(h.conversation_id, h.kind) for h in hits] == [("v1", "message")]
    finally:
        database_factory.discard(url)
