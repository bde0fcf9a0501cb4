"""An article saved in the admin editor is what the bot answers with at once, without a
restart; an unpublished one leaves its answers (the bot's knowledge base is the same one the
editor writes to, rebuilt when the override directory changes)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.factories import StaffTeam, login_headers
from yiwen.bot.kb.service import knowledge_base
from yiwen.core.settings import Settings

ARTICLE = "/api/v1/admin/kb/articles/points-mall"
QUESTION = "积分商城的积分怎么兑换优惠券"


def test_an_edited_article_reaches_the_bot_and_an_unpublished_one_leaves_it(
    client: TestClient, settings: Settings, team: StaffTeam
) -> None:
    kb = knowledge_base(settings)
    before = kb.answer_for(QUESTION)
    assert before is None or before.article_id != "points-mall"

    headers = login_headers(client, team.supervisor.username)
    saved = client.put(
        ARTICLE,
        json={
            "title": "积分商城怎么兑换优惠券",
            "category": "promo_issue",
            "tags": ["积分", "积分商城", "兑换"],
            "body": "积分商城里用积分兑换优惠券，100 积分抵 1 元。\n\n积分有效期一年。",
        },
        headers=headers,
    )
    assert saved.status_code == 200, saved.text
    answer = kb.answer_for(QUESTION)
    assert answer is not None and answer.article_id == "points-mall"
    assert "100 积分抵 1 元" in answer.summary

    assert client.delete(ARTICLE, headers=headers).status_code == 200
    after = kb.answer_for(QUESTION)
    assert after is None or after.article_id != "points-mall"
