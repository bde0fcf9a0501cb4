"""Article files: the packaged set, the front-matter format and the rules an article obeys."""

from __future__ import annotations

from collections import Counter
from importlib import resources

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yiwen.bot.kb.articles import (
    CATEGORIES,
    CATEGORY_NAMES,
    TAG_MAX,
    Article,
    lead_paragraph,
    packaged_articles,
    parse,
    render,
    validate,
)
from yiwen.core.errors import InvalidInput

# Small talk and "anything else" need no help-center article.
ANSWERED_CATEGORIES = set(CATEGORIES) - {"greeting", "thanks", "out_of_scope"}


def test_at_least_42_packaged_articles_cover_every_answerable_category() -> None:
    articles = packaged_articles()
    assert len(articles) >= 42
    assert {a.category for a in articles} == ANSWERED_CATEGORIES
    assert all(a.published for a in articles)


def test_each_article_file_is_named_after_its_id() -> None:
    folder = resources.files("yiwen.bot.kb").joinpath("articles")
    names = sorted(e.name[:-3] for e in folder.iterdir() if e.name.endswith(".md"))
    assert names == [a.id for a in packaged_articles()]


def test_every_article_opens_with_a_short_answer_and_has_a_unique_title() -> None:
    articles = packaged_articles()
    assert Counter(a.title for a in articles).most_common(1)[0][1] == 1
    for article in articles:
        lead = lead_paragraph(article.body)
        assert 20 <= len(lead) <= 200, article.id
        assert article.tags and article.updated


def test_every_category_has_a_help_center_name() -> None:
    assert set(CATEGORY_NAMES) == set(CATEGORIES)


def _article(**changes: object) -> Article:
    base = Article(
        id="refund-demo", title="退款演示", category="refund_request", body="未发货订单原路退回。"
    )
    return Article(**{**base.__dict__, **changes})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"id": "Refund_Demo"}, "kb_id_invalid"),
        ({"id": "-x"}, "kb_id_invalid"),
        ({"title": "退"}, "kb_title_invalid"),
        ({"title": "两行\n标题"}, "kb_title_invalid"),
        ({"body": "太短"}, "kb_body_invalid"),
        ({"body": "点这里 <script>alert(1)</script> 领取"}, "kb_html_refused"),
        ({"body": "请看 <img src=x onerror=alert(1)> 图片说明"}, "kb_html_refused"),
        ({"category": "refunds"}, "kb_category_unknown"),
        ({"tags": ("a,b",)}, "kb_tags_invalid"),
        ({"tags": ("x" * (TAG_MAX + 1),)}, "kb_tags_invalid"),
        ({"tags": tuple(str(i) for i in range(13))}, "kb_tags_invalid"),
        ({"updated": "20.11.2026"}, "kb_updated_invalid"),
    ],
)
def test_an_invalid_article_is_refused_with_its_reason(
    changes: dict[str, object], code: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        validate(_article(**changes))
    assert refused.value.code == code


def test_angle_brackets_that_are_not_html_are_allowed() -> None:
    validate(_article(body="请把 <订单号> 和 1 < 2 的说明发给客服。"))


@pytest.mark.parametrize(
    "text",
    [
        "no front matter",
        "---\nid: a-b\ntitle: 标题\n",  # never closed
        "---\nid: a-b\ncategory: presale\n---\n正文足够长的一段说明文字。",  # no title
        "---\nid a-b\ntitle: 标题\ncategory: presale\n---\n正文足够长的一段说明文字。",
    ],
)
def test_malformed_files_are_refused(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse(text)


_words = st.text(
    alphabet=st.characters(whitelist_categories=("Lo", "Ll", "Nd"), max_codepoint=0x9FFF),
    min_size=1,
    max_size=12,
)


@given(
    title=_words.filter(lambda t: len(t) >= 2),
    category=st.sampled_from(CATEGORIES),
    tags=st.lists(_words, max_size=5).map(tuple),
    body=st.lists(_words, min_size=1, max_size=8).map(
        lambda ws: "\n\n".join(ws) + "。这是一段足够长的说明文字"
    ),
    published=st.booleans(),
)
def test_rendering_then_parsing_gives_back_the_same_article(
    title: str, category: str, tags: tuple[str, ...], body: str, published: bool
) -> None:
    article = Article(
        id="round-trip",
        title=title,
        category=category,
        body=body.strip(),
        tags=tags,
        updated="2026-11-22",
        published=published,
    )
    validate(article)
    assert parse(render(article)) == article
