"""Search and answers: accuracy on customer questions, confidence, overrides and rebuilds."""

from __future__ import annotations

from pathlib import Path

import pytest

from yiwen.bot.kb.articles import Article, packaged_articles
from yiwen.bot.kb.evaluate import evaluate, load_questions
from yiwen.bot.kb.service import KnowledgeBase, knowledge_base
from yiwen.bot.kb.store import OverrideStore
from yiwen.core.settings import Settings

QUESTIONS = Path(__file__).with_name("questions.jsonl")


@pytest.fixture
def kb(tmp_path: Path) -> KnowledgeBase:
    return KnowledgeBase(OverrideStore(tmp_path / "kb"), packaged_articles())


def test_questions_file_is_large_and_points_at_real_articles() -> None:
    questions = load_questions(QUESTIONS)
    ids = {a.id for a in packaged_articles()}
    assert len(questions) >= 110
    assert {expected for _, expected in questions} <= ids


def test_top1_accuracy_on_customer_questions_is_at_least_80_percent(kb: KnowledgeBase) -> None:
    result = evaluate(kb, load_questions(QUESTIONS))
    assert result.top1_accuracy >= 0.80, [m.question for m in result.misses]
    assert result.top3_accuracy >= result.top1_accuracy


def test_search_ranks_the_answering_article_first_and_gives_a_matching_snippet(
    kb: KnowledgeBase,
) -> None:
    hits = kb.search("退款到银行卡要几天", limit=3)
    assert hits[0].article_id == "refund-timing"
    assert "银行卡" in hits[0].snippet and len(hits[0].snippet) <= 90
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_search_within_a_category_returns_only_that_category(kb: KnowledgeBase) -> None:
    hits = kb.search("退款", limit=10, category="refund_status")
    assert hits and {h.category for h in hits} == {"refund_status"}


def test_a_question_without_content_words_finds_nothing(kb: KnowledgeBase) -> None:
    assert kb.search("？？？！！", limit=5) == []
    assert kb.answer_for("嗯嗯 好的") is None


@pytest.mark.parametrize(
    "question",
    ["今天天气怎么样", "你们老板是谁", "帮我写一首诗", "附近有什么好吃的", "股票能涨吗"],
)
def test_off_topic_questions_get_no_answer(kb: KnowledgeBase, question: str) -> None:
    assert kb.answer_for(question) is None


def test_a_clear_question_gets_the_article_summary_and_link(kb: KnowledgeBase) -> None:
    answer = kb.answer_for("付了钱订单还显示待支付")
    assert answer is not None
    assert answer.article_id == "order-pending-after-paid"
    assert answer.url == "/help/articles/order-pending-after-paid"
    assert "待支付" in answer.summary and len(answer.summary) <= 160


def test_a_vague_question_is_answered_only_once_the_intent_is_known(kb: KnowledgeBase) -> None:
    assert kb.answer_for("钱还没退") is None
    answer = kb.answer_for("钱还没退", intent="refund_status")
    assert answer is not None and answer.article_id == "refund-progress"


def test_an_override_replaces_the_packaged_article_at_once(kb: KnowledgeBase) -> None:
    packaged = kb.get("contact-human")
    kb.overrides.write(
        Article(
            id="contact-human",
            title="联系人工客服与服务时间",
            category="human_agent",
            body="人工客服每天 8:00–23:00 在线，发送“转人工”排队，夜间请留言。",
            tags=("转人工", "夜班"),
            updated="2026-11-22",
        )
    )
    changed = kb.get("contact-human")
    assert changed.title != packaged.title and changed.source == "override"
    assert kb.search("夜班", limit=1)[0].article_id == "contact-human"


def test_an_unpublished_article_leaves_search_and_answers(kb: KnowledgeBase) -> None:
    assert kb.search("重复扣款", limit=1)[0].article_id == "duplicate-charge"
    hidden = kb.get("duplicate-charge")
    kb.overrides.write(Article(**{**hidden.__dict__, "published": False}))
    assert all(h.article_id != "duplicate-charge" for h in kb.search("重复扣款", limit=20))
    assert kb.get("duplicate-charge", include_unpublished=True).published is False


def test_a_broken_hand_edited_file_is_skipped_not_fatal(kb: KnowledgeBase) -> None:
    kb.overrides.directory.mkdir(parents=True)
    (kb.overrides.directory / "refund-policy.md").write_text("not an article", "utf-8")
    (kb.overrides.directory / "other-name.md").write_text(
        "---\nid: refund-timing\ntitle: 错放的文件\ncategory: refund_status\n---\n"
        "正文足够长的一段说明。",
        "utf-8",
    )
    assert kb.get("refund-policy").source == "packaged"
    assert kb.get("refund-timing").title == "退款多久到账"


def test_an_edit_by_another_process_is_seen_by_this_one(tmp_path: Path) -> None:
    mine = KnowledgeBase(OverrideStore(tmp_path / "kb"), packaged_articles())
    theirs = KnowledgeBase(OverrideStore(tmp_path / "kb"), packaged_articles())
    assert all(h.article_id != "points-mall" for h in mine.search("积分商城", limit=20))
    theirs.overrides.write(
        Article(
            id="points-mall",
            title="积分商城怎么兑换",
            category="promo_issue",
            body="积分可以在积分商城兑换优惠券，100 积分抵 1 元。",
            updated="2026-11-22",
        )
    )
    assert mine.search("积分商城", limit=1)[0].article_id == "points-mall"


def test_an_edit_in_one_data_directory_does_not_leak_into_another(tmp_path: Path) -> None:
    first = KnowledgeBase(OverrideStore(tmp_path / "one"))
    second = KnowledgeBase(OverrideStore(tmp_path / "two"))
    hidden = first.get("duplicate-charge")
    first.overrides.write(Article(**{**hidden.__dict__, "published": False}))
    assert all(h.article_id != "duplicate-charge" for h in first.search("重复扣款", limit=20))
    assert second.search("重复扣款", limit=1)[0].article_id == "duplicate-charge"


def test_one_knowledge_base_per_data_directory(settings: Settings, tmp_path: Path) -> None:
    assert knowledge_base(settings) is knowledge_base(settings)
    other = settings.model_copy(update={"data_dir": tmp_path / "elsewhere"})
    assert knowledge_base(other) is not knowledge_base(settings)
