"""Retrieval accuracy on a file of customer questions, for ``yiwen kb eval``.

Each line of the file is ``{"question": ..., "article_id": ...}``: a question
as a customer would type it and the article that answers it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from yiwen.bot.kb.service import KnowledgeBase, knowledge_base
from yiwen.core.errors import InvalidInput
from yiwen.core.settings import Settings


@dataclass(frozen=True)
class Miss:
    question: str
    expected: str
    found: tuple[str, ...]


@dataclass(frozen=True)
class Evaluation:
    total: int
    top1: int
    top3: int
    misses: tuple[Miss, ...] = field(default=())

    @property
    def top1_accuracy(self) -> float:
        return self.top1 / self.total if self.total else 0.0

    @property
    def top3_accuracy(self) -> float:
        return self.top3 / self.total if self.total else 0.0


def load_questions(path: Path) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            pairs.append((str(row["question"]), str(row["article_id"])))
        except (ValueError, KeyError, TypeError) as exc:
            raise InvalidInput("invalid_request", detail=f"{path.name}:{number}") from exc
    return pairs


def evaluate(kb: KnowledgeBase, questions: list[tuple[str, str]]) -> Evaluation:
    top1 = top3 = 0
    misses: list[Miss] = []
    for question, expected in questions:
        found = tuple(hit.article_id for hit in kb.search(question, limit=3))
        if found[:1] == (expected,):
            top1 += 1
        else:
            misses.append(Miss(question, expected, found))
        if expected in found:
            top3 += 1
    return Evaluation(len(questions), top1, top3, tuple(misses))


def report(evaluation: Evaluation) -> str:
    lines = [
        f"questions: {evaluation.total}",
        f"top-1 accuracy: {evaluation.top1_accuracy:.3f} ({evaluation.top1}/{evaluation.total})",
        f"top-3 accuracy: {evaluation.top3_accuracy:.3f} ({evaluation.top3}/{evaluation.total})",
    ]
    for miss in evaluation.misses:
        lines.append(
            f"  miss: {miss.question} -> {', '.join(miss.found) or '-'} (want {miss.expected})"
        )
    return "\n".join(lines)


def run_eval(settings: Settings, path: Path, out: TextIO, err: TextIO) -> int:
    """``yiwen kb eval FILE``: the shop's own articles (overrides applied) against FILE."""
    try:
        questions = load_questions(path)
    except OSError as exc:
        print(f"cannot read {path}: {exc.strerror}", file=err)
        return 1
    except InvalidInput as exc:
        print(f"malformed line: {exc.params.get('detail')}", file=err)
        return 1
    print(report(evaluate(knowledge_base(settings), questions)), file=out)
    return 0
