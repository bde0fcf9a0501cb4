"""BM25 over jieba tokens, with the title and tags weighted above the body.

bm25s (maintained, sparse-matrix scoring) rather than SQLite FTS5: FTS5's
tokenisers do not segment Chinese, so we would have to store pre-cut tokens
anyway and would tie retrieval to SQLite while production runs PostgreSQL.
A few hundred articles fit in memory many times over, and an in-process index
rebuilds in milliseconds when an admin edits one.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

import bm25s  # type: ignore[import-untyped]
import numpy as np

from yiwen.bot.kb.articles import Article, plain_text
from yiwen.bot.segment import tokens

# Chosen on tests/bot/kb/questions.jsonl: a match in the title or tags says far
# more about what an article answers than a word somewhere in its body.
TITLE_WEIGHT = 2.0
BODY_WEIGHT = 1.0

_SENTENCE_END = re.compile(r"(?<=[。！？；\n])")

# bm25s narrates every index build at DEBUG; rebuilds happen on each admin edit.
logging.getLogger("bm25s").setLevel(logging.WARNING)


def article_tokens(article: Article) -> tuple[list[str], list[str]]:
    heading = tokens(" ".join((article.title, *article.tags)), search=True)
    return heading, tokens(plain_text(article.body), search=True)


def sentences(article: Article) -> list[tuple[str, frozenset[str]]]:
    """The body's sentences with their tokens, cut once here so snippets cost no segmentation."""
    found = []
    for raw in _SENTENCE_END.split(plain_text(article.body)):
        sentence = raw.strip()
        if sentence:
            found.append((sentence, frozenset(tokens(sentence, search=True))))
    return found


def query_tokens(text: str) -> list[str]:
    """Distinct tokens, so a customer repeating a word does not outweigh the rest."""
    return list(dict.fromkeys(tokens(text, search=True)))


@dataclass(frozen=True)
class Scored:
    position: int
    score: float


class ArticleIndex:
    def __init__(self, articles: Sequence[Article]) -> None:
        self.articles = list(articles)
        fields = [article_tokens(a) for a in self.articles]
        self.vocabularies = [set(h) | set(b) for h, b in fields]
        self.sentences = [sentences(a) for a in self.articles]
        self._heading = self._build([h for h, _ in fields])
        self._body = self._build([b for _, b in fields])

    @staticmethod
    def _build(corpus: list[list[str]]) -> bm25s.BM25 | None:
        if not corpus:
            return None
        retriever = bm25s.BM25(k1=1.2, b=0.75)
        # An empty document would make bm25s drop the row; a placeholder keeps positions aligned.
        retriever.index([doc or ["\x00"] for doc in corpus], show_progress=False)
        return retriever

    def scores(self, query: list[str]) -> np.ndarray:
        if not self.articles or not query or self._heading is None or self._body is None:
            return np.zeros(len(self.articles))
        heading = np.asarray(self._heading.get_scores(query), dtype=float)
        body = np.asarray(self._body.get_scores(query), dtype=float)
        return TITLE_WEIGHT * heading + BODY_WEIGHT * body

    def rank(self, query: list[str], positions: Sequence[int] | None = None) -> list[Scored]:
        """Articles with a positive score, best first (ties by id for stable answers)."""
        scores = self.scores(query)
        allowed = range(len(self.articles)) if positions is None else positions
        ranked = [Scored(i, float(scores[i])) for i in allowed if scores[i] > 0]
        ranked.sort(key=lambda s: (-s.score, self.articles[s.position].id))
        return ranked
