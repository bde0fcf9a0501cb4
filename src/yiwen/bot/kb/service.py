"""Search and answers over the help center, and the admin's edits to it.

``knowledge_base(settings)`` gives the shared instance for a data directory.
The bot calls ``answer_for`` on a customer's message; the help center calls
``search``. Both see admin edits at once: every call compares the override
directory's fingerprint with the one the index was built from and rebuilds on
a change, so several app processes stay in step without a message bus.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from sqlalchemy.orm import Session

from yiwen.auth.audit import Actor, record_audit
from yiwen.bot.kb import messages as _messages  # noqa: F401  (registers the error texts)
from yiwen.bot.kb.articles import (
    CATEGORIES,
    Article,
    lead_paragraph,
    packaged_articles,
    validate,
)
from yiwen.bot.kb.index import ArticleIndex, Scored, query_tokens
from yiwen.bot.kb.store import Fingerprint, OverrideStore
from yiwen.core.clock import Clock, to_local
from yiwen.core.errors import InvalidInput, NotFound
from yiwen.core.settings import Settings

ARTICLE_URL = "/help/articles/{id}"
SEARCH_LIMIT_MAX = 20
SNIPPET_CHARS = 90
SUMMARY_CHARS = 160
# answer_for replies only when the best article is clearly about the question:
# a minimum BM25 score and a minimum share of the question's words found in it.
# Set on tests/bot/kb/questions.jsonl and off-topic questions (tests/bot/kb).
ANSWER_MIN_SCORE = 6.0
ANSWER_MIN_COVERAGE = 0.5
# When the NLU already knows the intent, articles of that category are preferred.
INTENT_BOOST = 1.3


@dataclass(frozen=True)
class Hit:
    article_id: str
    title: str
    category: str
    score: float
    snippet: str


@dataclass(frozen=True)
class Answer:
    """What the bot replies with: a short summary and the link to the whole article."""

    article_id: str
    title: str
    category: str
    summary: str
    url: str
    score: float


@dataclass(frozen=True)
class _Snapshot:
    fingerprint: Fingerprint
    articles: dict[str, Article]  # every id, published or not, overrides applied
    index: ArticleIndex  # published articles only


class KnowledgeBase:
    def __init__(self, overrides: OverrideStore, packaged: list[Article] | None = None) -> None:
        """``packaged=None``: the shipped articles, their index shared until something overrides."""
        self.overrides = overrides
        self._shared = packaged is None
        self._packaged = {a.id: a for a in (_packaged() if packaged is None else packaged)}
        self._lock = threading.Lock()
        self._snapshot: _Snapshot | None = None

    def _current(self) -> _Snapshot:
        fingerprint = self.overrides.fingerprint()
        snapshot = self._snapshot
        if snapshot is not None and snapshot.fingerprint == fingerprint:
            return snapshot
        with self._lock:
            snapshot = self._snapshot
            if snapshot is None or snapshot.fingerprint != fingerprint:
                snapshot = self._build(fingerprint)
                self._snapshot = snapshot
        return snapshot

    def _build(self, fingerprint: Fingerprint) -> _Snapshot:
        if self._shared and not fingerprint:
            return _pristine_snapshot()
        merged = dict(self._packaged)
        merged.update({a.id: a for a in self.overrides.load()})
        articles = dict(sorted(merged.items()))
        published = [a for a in articles.values() if a.published]
        return _Snapshot(fingerprint, articles, ArticleIndex(published))

    def published(self, category: str | None = None) -> list[Article]:
        articles = self._current().index.articles
        return [a for a in articles if category is None or a.category == category]

    def all_articles(self) -> list[Article]:
        """Published and unpublished, for the admin's editor."""
        return list(self._current().articles.values())

    def all_articles_by_id(self) -> dict[str, Article]:
        return dict(self._current().articles)

    def get(self, article_id: str, *, include_unpublished: bool = False) -> Article:
        article = self._current().articles.get(article_id)
        if article is None or not (article.published or include_unpublished):
            raise NotFound("kb_article_not_found")
        return article

    def search(self, query: str, *, limit: int = 5, category: str | None = None) -> list[Hit]:
        if category is not None and category not in CATEGORIES:
            raise InvalidInput("kb_category_unknown", category=category)
        index = self._current().index
        words = query_tokens(query)
        positions = None
        if category is not None:
            positions = [i for i, a in enumerate(index.articles) if a.category == category]
        ranked = index.rank(words, positions)[: max(1, min(limit, SEARCH_LIMIT_MAX))]
        return [self._hit(index, s, words) for s in ranked]

    def answer_for(self, question: str, intent: str | None = None) -> Answer | None:
        """The best article when it is confidently about the question, else ``None``."""
        index = self._current().index
        words = query_tokens(question)
        ranked = index.rank(words)
        if intent in CATEGORIES:
            ranked = [
                Scored(s.position, s.score * INTENT_BOOST)
                if index.articles[s.position].category == intent
                else s
                for s in ranked
            ]
            ranked.sort(key=lambda s: (-s.score, index.articles[s.position].id))
        if not ranked:
            return None
        best = ranked[0]
        covered = sum(1 for w in words if w in index.vocabularies[best.position])
        if best.score < ANSWER_MIN_SCORE or covered < ANSWER_MIN_COVERAGE * len(words):
            return None
        article = index.articles[best.position]
        return Answer(
            article_id=article.id,
            title=article.title,
            category=article.category,
            summary=_clip(lead_paragraph(article.body), SUMMARY_CHARS),
            url=ARTICLE_URL.format(id=article.id),
            score=round(best.score, 3),
        )

    def _hit(self, index: ArticleIndex, scored: Scored, words: list[str]) -> Hit:
        article = index.articles[scored.position]
        snippet = _snippet(lead_paragraph(article.body), index.sentences[scored.position], words)
        return Hit(article.id, article.title, article.category, round(scored.score, 3), snippet)


def _snippet(lead: str, cut: list[tuple[str, frozenset[str]]], words: list[str]) -> str:
    """The body sentence sharing most words with the query, or the lead paragraph."""
    wanted = set(words)
    best, best_overlap = lead, 0
    for sentence, sentence_tokens in cut:
        overlap = len(wanted & sentence_tokens)
        if overlap > best_overlap:
            best, best_overlap = sentence, overlap
    return _clip(best, SNIPPET_CHARS)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


@lru_cache(maxsize=1)
def _packaged() -> tuple[Article, ...]:
    return tuple(packaged_articles())


@lru_cache(maxsize=1)
def _pristine_snapshot() -> _Snapshot:
    """The shipped articles with no override: built once per process, whatever the data dir."""
    articles = {a.id: a for a in _packaged()}
    return _Snapshot((), articles, ArticleIndex([a for a in articles.values() if a.published]))


_instances: dict[Path, KnowledgeBase] = {}
_instances_lock = threading.Lock()


def override_dir(settings: Settings) -> Path:
    return settings.data_dir / "kb"


def knowledge_base(settings: Settings) -> KnowledgeBase:
    """The shared knowledge base of a data directory (built on first use)."""
    directory = override_dir(settings).resolve()
    with _instances_lock:
        found = _instances.get(directory)
        if found is None:
            found = KnowledgeBase(OverrideStore(directory))
            _instances[directory] = found
    return found


def _audit_view(article: Article | None) -> dict[str, object] | None:
    if article is None:
        return None
    return {
        "title": article.title,
        "category": article.category,
        "tags": list(article.tags),
        "published": article.published,
        "body_chars": len(article.body),
        "body_sha256": hashlib.sha256(article.body.encode()).hexdigest(),
    }


def save_article(
    db: Session, clock: Clock, kb: KnowledgeBase, article: Article, *, actor: Actor
) -> Article:
    """Create or replace an article (as an override), audited in the caller's transaction.

    The audit row is flushed before the file is written: if the write fails the
    request rolls back and no entry claims an edit that did not happen.
    """
    stamped = replace(article, updated=_today(clock), source="override")
    validate(stamped)
    before = kb.all_articles_by_id().get(article.id)
    record_audit(
        db,
        clock,
        actor=actor,
        action="kb.article_saved",
        target_type="kb_article",
        target_id=article.id,
        before=_audit_view(before),
        after=_audit_view(stamped),
    )
    kb.overrides.write(stamped)
    return kb.get(article.id, include_unpublished=True)


def unpublish_article(
    db: Session, clock: Clock, kb: KnowledgeBase, article_id: str, *, actor: Actor
) -> Article:
    """Hide an article from the help center and the bot; its text stays for a later re-publish."""
    current = kb.get(article_id)
    hidden = replace(current, published=False, updated=_today(clock), source="override")
    record_audit(
        db,
        clock,
        actor=actor,
        action="kb.article_unpublished",
        target_type="kb_article",
        target_id=article_id,
        before=_audit_view(current),
        after=_audit_view(hidden),
    )
    kb.overrides.write(hidden)
    return kb.get(article_id, include_unpublished=True)


def _today(clock: Clock) -> str:
    return to_local(clock.now()).date().isoformat()
