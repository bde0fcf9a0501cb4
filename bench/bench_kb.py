"""Knowledge-base retrieval latency: ``search`` and ``answer_for`` per question (p50 / p99).

The questions are tests/bot/kb/questions.jsonl, each asked several times. Figures
for the packaged articles and for a help center ten times that size (copies of
the articles under new ids), plus the time to rebuild the index after an edit.
"""

from __future__ import annotations

import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import percentile
from yiwen.bot.kb.articles import Article, packaged_articles
from yiwen.bot.kb.evaluate import load_questions
from yiwen.bot.kb.service import KnowledgeBase
from yiwen.bot.kb.store import OverrideStore
from yiwen.bot.segment import tokens

QUESTIONS = Path(__file__).resolve().parent.parent / "tests" / "bot" / "kb" / "questions.jsonl"
ROUNDS = 5


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 3)


def _latencies(kb: KnowledgeBase, questions: list[str]) -> dict[str, float]:
    searches: list[float] = []
    answers: list[float] = []
    for _ in range(ROUNDS):
        for question in questions:
            started = time.perf_counter()
            kb.search(question, limit=5)
            searches.append(time.perf_counter() - started)
            started = time.perf_counter()
            kb.answer_for(question)
            answers.append(time.perf_counter() - started)
    return {
        "search_p50_ms": _ms(percentile(searches, 0.50)),
        "search_p99_ms": _ms(percentile(searches, 0.99)),
        "answer_for_p50_ms": _ms(percentile(answers, 0.50)),
        "answer_for_p99_ms": _ms(percentile(answers, 0.99)),
        "calls": len(searches),
    }


def _scaled(articles: list[Article], copies: int) -> list[Article]:
    return [replace(a, id=f"{a.id}-{n}") for n in range(copies) for a in articles]


def run() -> dict[str, object]:
    tokens("预热分词词典")  # jieba's dictionary loads once per process; not a retrieval cost
    questions = [q for q, _ in load_questions(QUESTIONS)]
    articles = packaged_articles()
    results: dict[str, object] = {"questions": len(questions)}
    with tempfile.TemporaryDirectory() as tmp:
        for label, corpus in (("packaged", articles), ("x10", _scaled(articles, 10))):
            kb = KnowledgeBase(OverrideStore(Path(tmp) / label), corpus)
            started = time.perf_counter()
            kb.published()
            built = time.perf_counter() - started
            results[label] = {"articles": len(corpus), "index_build_ms": _ms(built)}
            results[label].update(_latencies(kb, questions))  # type: ignore[union-attr]
        kb = KnowledgeBase(OverrideStore(Path(tmp) / "edited"), articles)
        kb.published()
        kb.overrides.write(replace(articles[0], title=articles[0].title + "（已更新）"))
        started = time.perf_counter()
        kb.search("退款", limit=5)
        results["first_search_after_an_edit_ms"] = _ms(time.perf_counter() - started)
    return results


if __name__ == "__main__":
    import json

    print(json.dumps(run(), ensure_ascii=False, indent=2))
