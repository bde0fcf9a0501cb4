"""Turning text into the words the index stores and the words a query asks for."""

from __future__ import annotations

import re

from yiwen.bot.segment import cut, normalise

# The longest text indexed per document: a pasted log should not make one
# message cost a second of segmentation inside the customer's request.
MAX_INDEXED_CHARS = 4000
MAX_QUERY_TERMS = 8
# Characters the full-text query syntaxes give a meaning to; words keep only
# letters and digits (plus the few joiners codes use).
_UNSAFE = re.compile(r"[^\w\-.@]+", re.UNICODE)


def _words(text: str, *, search: bool) -> list[str]:
    found: list[str] = []
    for token in cut(normalise(text[:MAX_INDEXED_CHARS]), search=search):
        word = _UNSAFE.sub("", token).strip("-.@")
        if word:
            found.append(word)
    return found


def index_terms(text: str) -> str:
    """The space-separated words stored for ``text`` (jieba's search mode: words and parts)."""
    return " ".join(_words(text, search=True))


def query_terms(query: str) -> list[str]:
    """The distinct words a query must all match, in order, at most ``MAX_QUERY_TERMS``."""
    seen: list[str] = []
    for word in _words(query, search=False):
        if word not in seen:
            seen.append(word)
    return seen[:MAX_QUERY_TERMS]
