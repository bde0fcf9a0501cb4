"""Articles as files: a small front matter, a Markdown body, and the rules they obey.

The format is deliberately tiny (``key: value`` lines, ``[a, b]`` for tags) so
that a shop owner can edit a file by hand without a YAML library's surprises,
and so that an article written through the API reads the same as a packaged one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import resources

from yiwen.bot.nlu.types import INTENTS
from yiwen.core.errors import InvalidInput

ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{1,63}$")
DATE_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")
TITLE_MAX = 80
BODY_MIN = 10
BODY_MAX = 20_000
TAGS_MAX = 12
TAG_MAX = 20
# Markdown is served as text; refusing raw HTML keeps a careless renderer from
# turning an article into a script. "<订单号>" is not a tag and stays allowed.
_HTML_TAG = re.compile(r"<\s*/?\s*[a-zA-Z!?]")
_TAG_FORBIDDEN = re.compile(r"[,\[\]\n\r:]")
_FENCE = "---"
CATEGORIES: tuple[str, ...] = INTENTS
# How the help center names each category to customers.
CATEGORY_NAMES: dict[str, str] = {
    "delivery_missing": "发货与到账",
    "card_invalid": "卡密问题",
    "refund_request": "退款政策",
    "refund_status": "退款进度",
    "order_status": "订单查询",
    "payment_issue": "支付问题",
    "account_security": "账户安全与隐私",
    "balance_issue": "余额与提现",
    "promo_issue": "优惠券与活动",
    "how_to_use": "兑换与使用",
    "presale": "售前咨询",
    "bulk_purchase": "批量采购与代理",
    "human_agent": "联系客服",
    "complaint": "投诉与建议",
    "ticket_progress": "工单与服务承诺",
    "greeting": "其他",
    "thanks": "其他",
    "out_of_scope": "其他",
}


@dataclass(frozen=True)
class Article:
    id: str
    title: str
    category: str
    body: str
    tags: tuple[str, ...] = ()
    updated: str = ""
    published: bool = True
    source: str = field(default="packaged", compare=False)


def check_article_id(article_id: str) -> None:
    if not ID_PATTERN.match(article_id):
        raise InvalidInput("kb_id_invalid")


def validate(article: Article) -> None:
    """Refuse an article that the help center could not show safely or the index could not use."""
    check_article_id(article.id)
    title = article.title.strip()
    if not 2 <= len(title) <= TITLE_MAX or "\n" in title or "\r" in title:
        raise InvalidInput("kb_title_invalid", max=TITLE_MAX)
    if not BODY_MIN <= len(article.body.strip()) <= BODY_MAX:
        raise InvalidInput("kb_body_invalid", min=BODY_MIN, max=BODY_MAX)
    if _HTML_TAG.search(article.body) or _HTML_TAG.search(title):
        raise InvalidInput("kb_html_refused")
    if article.category not in CATEGORIES:
        raise InvalidInput("kb_category_unknown", category=article.category)
    if len(article.tags) > TAGS_MAX:
        raise InvalidInput("kb_tags_invalid", max=TAGS_MAX, tag_max=TAG_MAX)
    for tag in article.tags:
        if not 1 <= len(tag) <= TAG_MAX or _TAG_FORBIDDEN.search(tag) or tag != tag.strip():
            raise InvalidInput("kb_tags_invalid", max=TAGS_MAX, tag_max=TAG_MAX)
    if article.updated and not DATE_PATTERN.match(article.updated):
        raise InvalidInput("kb_updated_invalid")


def render(article: Article) -> str:
    """The file text of an article; ``parse(render(a)) == a`` for every valid article."""
    lines = [
        _FENCE,
        f"id: {article.id}",
        f"title: {article.title.strip()}",
        f"category: {article.category}",
        f"tags: [{', '.join(article.tags)}]",
        f"updated: {article.updated}",
    ]
    if not article.published:
        lines.append("published: false")
    lines.append(_FENCE)
    return "\n".join(lines) + "\n" + article.body.strip() + "\n"


def parse(text: str, *, source: str = "packaged") -> Article:
    """Read one article file; a malformed file raises ``InvalidInput`` naming the problem."""
    lines = text.lstrip("\ufeff").splitlines()
    if not lines or lines[0].strip() != _FENCE:
        raise InvalidInput("kb_front_matter_invalid")
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == _FENCE)
    except StopIteration:
        raise InvalidInput("kb_front_matter_invalid") from None
    meta: dict[str, str] = {}
    for line in lines[1:end]:
        if not line.strip():
            continue
        key, sep, value = line.partition(":")
        if not sep:
            raise InvalidInput("kb_front_matter_invalid")
        meta[key.strip()] = value.strip()
    missing = {"id", "title", "category"} - meta.keys()
    if missing:
        raise InvalidInput("kb_front_matter_invalid")
    article = Article(
        id=meta["id"],
        title=meta["title"],
        category=meta["category"],
        body="\n".join(lines[end + 1 :]).strip(),
        tags=_parse_tags(meta.get("tags", "")),
        updated=meta.get("updated", ""),
        published=meta.get("published", "true").lower() != "false",
        source=source,
    )
    validate(article)
    return article


def _parse_tags(value: str) -> tuple[str, ...]:
    inner = value.strip()
    if inner.startswith("[") and inner.endswith("]"):
        inner = inner[1:-1]
    return tuple(tag.strip() for tag in inner.split(",") if tag.strip())


def packaged_articles() -> list[Article]:
    """The articles shipped with Yiwen, sorted by id."""
    folder = resources.files("yiwen.bot.kb").joinpath("articles")
    found = [
        parse(entry.read_text("utf-8")) for entry in folder.iterdir() if entry.name.endswith(".md")
    ]
    return sorted(found, key=lambda a: a.id)


def plain_text(markdown: str) -> str:
    """Markdown without its markup, for snippets, summaries and the bot's replies."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", markdown)
    text = re.sub(r"^\s{0,3}(#{1,6}\s+|>\s?|[-*+]\s+|\d+\.\s+)", "", text, flags=re.MULTILINE)
    text = re.sub(r"[*_`]{1,3}", "", text)
    return text.strip()


def lead_paragraph(markdown: str) -> str:
    """The first paragraph: every article opens with the short answer, by convention."""
    for block in re.split(r"\n\s*\n", markdown.strip()):
        text = plain_text(block).replace("\n", "")
        if text:
            return text
    return ""
