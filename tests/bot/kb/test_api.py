"""The help-center API (public) and the article editor (kb.manage), over real HTTP to the app."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.factories import StaffTeam, login_headers
from yiwen.auth.audit import AuditEntry
from yiwen.core.db import Database
from yiwen.core.settings import Settings

HELP = "/api/v1/help"
ADMIN = "/api/v1/admin/kb/articles"

EDIT = {
    "title": "积分商城怎么兑换",
    "category": "promo_issue",
    "tags": ["积分", "积分商城"],
    "body": "积分可以在积分商城兑换优惠券，100 积分抵 1 元。\n\n- 积分有效期一年。",
}


def _audit(database: Database) -> list[dict[str, object]]:
    with database.reading() as db:
        entries = db.scalars(select(AuditEntry).where(AuditEntry.target_type == "kb_article"))
        return [
            {"action": e.action, "actor_id": e.actor_id, "before": e.before, "after": e.after}
            for e in entries
        ]


def _override(settings: Settings, article_id: str) -> Path:
    return settings.data_dir / "kb" / f"{article_id}.md"


def test_article_list_has_categories_with_names_and_counts(client: TestClient) -> None:
    listing = client.get(f"{HELP}/articles").json()
    assert len(listing["items"]) >= 42
    by_category = {c["category"]: c for c in listing["categories"]}
    assert by_category["refund_status"]["name"] == "退款进度"
    assert sum(c["count"] for c in listing["categories"]) == len(listing["items"])
    only = client.get(f"{HELP}/articles", params={"category": "card_invalid"}).json()["items"]
    assert only and {a["category"] for a in only} == {"card_invalid"}


def test_an_article_is_served_as_markdown_text(client: TestClient) -> None:
    response = client.get(f"{HELP}/articles/refund-timing")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    article = response.json()
    assert article["title"] == "退款多久到账"
    assert "1–3 个工作日" in article["body_markdown"] and "<p>" not in article["body_markdown"]
    assert article["url"] == "/help/articles/refund-timing"


def test_unknown_and_malformed_article_ids_are_client_errors(client: TestClient) -> None:
    missing = client.get(f"{HELP}/articles/no-such-article")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "kb_article_not_found"
    bad = client.get(f"{HELP}/articles/BAD_ID!")
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "kb_id_invalid"


def test_search_returns_ranked_hits_with_snippets(client: TestClient) -> None:
    result = client.get(f"{HELP}/search", params={"q": "卡密显示已被使用", "limit": 3}).json()
    assert result["hits"][0]["article_id"] == "card-key-already-used"
    assert result["hits"][0]["snippet"] and len(result["hits"]) <= 3


@pytest.mark.parametrize(
    "params",
    [{}, {"q": ""}, {"q": "x" * 201}, {"q": "退款", "limit": 0}, {"q": "退款", "category": "nope"}],
)
def test_bad_search_queries_are_client_errors(
    client: TestClient, params: dict[str, object]
) -> None:
    response = client.get(f"{HELP}/search", params=params)
    assert response.status_code == 422 and response.json()["error"]["message"]


@pytest.fixture
def other_client(app: FastAPI) -> Iterator[TestClient]:
    """A client from its own address, so its rate limit is not shared with other tests."""
    with TestClient(app, client=("198.51.100.23", 40000)) as test_client:
        yield test_client


def test_search_is_rate_limited_per_client(other_client: TestClient, client: TestClient) -> None:
    codes = [
        other_client.get(f"{HELP}/search", params={"q": "退款"}).status_code for _ in range(31)
    ]
    assert codes[:30] == [200] * 30 and codes[30] == 429
    assert client.get(f"{HELP}/search", params={"q": "退款"}).status_code == 200


def test_admin_saves_an_article_that_search_finds_and_the_audit_records(
    client: TestClient, team: StaffTeam, database: Database, settings: Settings
) -> None:
    response = client.put(f"{ADMIN}/points-mall", json=EDIT, headers=login_headers(client, "admin"))
    assert response.status_code == 200, response.text
    saved = response.json()
    assert saved["source"] == "override" and saved["published"] is True
    assert saved["updated"] == "2026-11-22"
    assert _override(settings, "points-mall").exists()
    assert (
        client.get(f"{HELP}/search", params={"q": "积分商城"}).json()["hits"][0]["article_id"]
        == "points-mall"
    )
    [entry] = _audit(database)
    assert entry["action"] == "kb.article_saved" and entry["actor_id"] == team.admin.id
    assert entry["before"] is None and entry["after"]["title"] == EDIT["title"]  # type: ignore[index]


def test_supervisor_edits_a_packaged_article_and_the_edit_wins(
    client: TestClient, team: StaffTeam, database: Database
) -> None:
    edit = {
        **EDIT,
        "title": "联系人工客服（新版）",
        "category": "human_agent",
        "body": "人工客服每天 8:00–23:00 在线。",
    }
    headers = login_headers(client, "supervisor")
    assert client.put(f"{ADMIN}/contact-human", json=edit, headers=headers).status_code == 200
    assert client.get(f"{HELP}/articles/contact-human").json()["title"] == "联系人工客服（新版）"
    [entry] = _audit(database)
    assert entry["before"]["title"] == "怎么联系人工客服"  # type: ignore[index]


@pytest.mark.parametrize("username", ["l1", "l2", "finance", "security"])
def test_staff_without_kb_manage_cannot_edit_and_nothing_changes(
    client: TestClient, team: StaffTeam, database: Database, settings: Settings, username: str
) -> None:
    headers = login_headers(client, username)
    refused = client.put(f"{ADMIN}/refund-policy", json=EDIT, headers=headers)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "permission_denied"
    assert client.delete(f"{ADMIN}/refund-policy", headers=headers).status_code == 403
    assert not _override(settings, "refund-policy").exists()
    assert client.get(f"{HELP}/articles/refund-policy").json()["title"] == "退款政策"
    assert _audit(database) == []


def test_anonymous_callers_cannot_reach_the_editor(client: TestClient, settings: Settings) -> None:
    assert client.put(f"{ADMIN}/refund-policy", json=EDIT).status_code == 401
    assert client.get(ADMIN).status_code == 401
    assert not _override(settings, "refund-policy").exists()


@pytest.mark.parametrize(
    ("article_id", "changes", "code"),
    [
        ("Bad_Id", {}, "kb_id_invalid"),
        ("ok-id", {"body": "见 <script>alert(1)</script> 这里的说明"}, "kb_html_refused"),
        ("ok-id", {"category": "refunds"}, "kb_category_unknown"),
        ("ok-id", {"title": "标" * 81}, "invalid_request"),
        ("ok-id", {"body": "太短"}, "kb_body_invalid"),
        ("ok-id", {"tags": ["a:b"]}, "kb_tags_invalid"),
        ("ok-id", {"published": "maybe"}, "invalid_request"),
        ("ok-id", {"unexpected": 1}, "invalid_request"),
    ],
)
def test_invalid_edits_are_refused_with_json_and_nothing_is_written(
    client: TestClient,
    team: StaffTeam,
    database: Database,
    settings: Settings,
    article_id: str,
    changes: dict[str, object],
    code: str,
) -> None:
    headers = login_headers(client, "admin")
    response = client.put(f"{ADMIN}/{article_id}", json={**EDIT, **changes}, headers=headers)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == code and response.json()["error"]["message"]
    assert not (settings.data_dir / "kb").exists() or not any((settings.data_dir / "kb").iterdir())
    assert _audit(database) == []


def test_unpublishing_hides_an_article_until_it_is_saved_again(
    client: TestClient, team: StaffTeam, database: Database
) -> None:
    headers = login_headers(client, "admin")
    hidden = client.delete(f"{ADMIN}/duplicate-charge", headers=headers)
    assert hidden.status_code == 200 and hidden.json()["published"] is False
    assert client.get(f"{HELP}/articles/duplicate-charge").status_code == 404
    hits = client.get(f"{HELP}/search", params={"q": "重复扣款", "limit": 20}).json()["hits"]
    assert all(h["article_id"] != "duplicate-charge" for h in hits)
    listed = {a["id"]: a for a in client.get(ADMIN, headers=headers).json()["items"]}
    assert listed["duplicate-charge"]["published"] is False
    assert client.delete(f"{ADMIN}/duplicate-charge", headers=headers).status_code == 404

    again = {**EDIT, "title": hidden.json()["title"], "category": "payment_issue"}
    assert client.put(f"{ADMIN}/duplicate-charge", json=again, headers=headers).status_code == 200
    assert client.get(f"{HELP}/articles/duplicate-charge").status_code == 200
    assert [e["action"] for e in _audit(database)].count("kb.article_unpublished") == 1


def test_unpublishing_an_unknown_article_is_not_found(client: TestClient, team: StaffTeam) -> None:
    response = client.delete(f"{ADMIN}/no-such-article", headers=login_headers(client, "admin"))
    assert response.status_code == 404
