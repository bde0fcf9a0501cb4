"""Scores of the NLU on a labelled file: intent accuracy, macro-F1, per-intent and slot figures.

A line of the file is ``{"text", "now", "intent", "slots"}``. A slot value counts
as correct only if it equals the expected one exactly after normalisation
(amounts as numbers, order numbers as sets, ticket numbers upper-case).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation

from .types import INTENTS, Understanding

SLOT_NAMES = (
    "order_no",
    "ticket_no",
    "amount",
    "time",
    "payment_method",
    "phone",
    "email",
    "card_key",
)


@dataclass(frozen=True)
class Case:
    text: str
    now: datetime
    intent: str
    slots: dict[str, object]


@dataclass
class Counts:
    true_positive: int = 0
    false_positive: int = 0
    false_negative: int = 0

    def scores(self) -> dict[str, float]:
        tp, fp, fn = self.true_positive, self.false_positive, self.false_negative
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return {"precision": precision, "recall": recall, "f1": f1, "support": tp + fn}


@dataclass
class Report:
    total: int = 0
    correct: int = 0
    intents: dict[str, Counts] = field(default_factory=dict)
    confusions: Counter[tuple[str, str]] = field(default_factory=Counter)
    slots: dict[str, Counts] = field(default_factory=lambda: {n: Counts() for n in SLOT_NAMES})

    def as_dict(self) -> dict[str, object]:
        per_intent = {name: counts.scores() for name, counts in sorted(self.intents.items())}
        present = [s for s in per_intent.values() if s["support"]]
        micro = Counts(
            sum(c.true_positive for c in self.slots.values()),
            sum(c.false_positive for c in self.slots.values()),
            sum(c.false_negative for c in self.slots.values()),
        )
        return {
            "total": self.total,
            "accuracy": self.correct / self.total if self.total else 0.0,
            "macro_f1": sum(s["f1"] for s in present) / len(present) if present else 0.0,
            "intents": per_intent,
            "confusions": [
                {"expected": e, "predicted": p, "count": n}
                for (e, p), n in self.confusions.most_common(10)
            ],
            "slots": {name: counts.scores() for name, counts in self.slots.items()},
            "slots_micro": micro.scores(),
        }


def parse_case(line: str) -> Case:
    raw = json.loads(line)
    return Case(
        text=str(raw["text"]),
        now=datetime.fromisoformat(str(raw["now"])),
        intent=str(raw["intent"]),
        slots=dict(raw.get("slots") or {}),
    )


def evaluate(cases: Iterable[Case], understand: Callable[[str, datetime], Understanding]) -> Report:
    report = Report(intents={name: Counts() for name in INTENTS})
    for case in cases:
        result = understand(case.text, case.now)
        report.total += 1
        expected, predicted = case.intent, result.intent
        report.intents.setdefault(expected, Counts())
        report.intents.setdefault(predicted, Counts())
        if predicted == expected:
            report.correct += 1
            report.intents[expected].true_positive += 1
        else:
            report.intents[expected].false_negative += 1
            report.intents[predicted].false_positive += 1
            report.confusions[(expected, predicted)] += 1
        _count_slots(report, case.slots, result.slots.as_json())
    return report


def _count_slots(report: Report, expected: dict[str, object], got: dict[str, object]) -> None:
    for name in SLOT_NAMES:
        want = _values(name, expected.get(name))
        have = _values(name, got.get(name))
        counts = report.slots[name]
        counts.true_positive += len(want & have)
        counts.false_positive += len(have - want)
        counts.false_negative += len(want - have)


def _values(name: str, value: object) -> set[str]:
    """A slot as a set of comparable strings (order_no may hold several)."""
    if value is None or value == "" or value == []:
        return set()
    if name == "order_no":
        items = value if isinstance(value, list) else [value]
        return {str(item).strip() for item in items}
    if name == "amount":
        try:
            return {str(Decimal(str(value)).normalize())}
        except InvalidOperation:
            return {str(value)}
    if name in ("ticket_no", "card_key"):
        return {str(value).strip().upper()}
    if name in ("email", "payment_method"):
        return {str(value).strip().lower()}
    if name == "time":
        try:
            return {datetime.fromisoformat(str(value)).strftime("%Y-%m-%dT%H:%M")}
        except ValueError:
            return {str(value)}
    if name == "phone":
        return {"".join(ch for ch in str(value) if ch.isdigit())[-11:]}
    return {str(value).strip()}


def format_report(figures: dict[str, object]) -> str:
    lines = [
        f"cases      {figures['total']}",
        f"accuracy   {figures['accuracy']:.4f}",
        f"macro-F1   {figures['macro_f1']:.4f}",
        "",
        f"{'intent':<18} {'prec':>6} {'recall':>6} {'F1':>6} {'n':>5}",
    ]
    intents = figures["intents"]
    assert isinstance(intents, dict)
    for name, s in intents.items():
        lines.append(
            f"{name:<18} {s['precision']:6.3f} {s['recall']:6.3f} {s['f1']:6.3f} {s['support']:5d}"
        )
    lines += ["", "most frequent confusions (expected → predicted):"]
    confusions = figures["confusions"]
    assert isinstance(confusions, list)
    for row in confusions:
        lines.append(f"  {row['count']:4d}  {row['expected']} → {row['predicted']}")
    lines += ["", f"{'slot':<18} {'prec':>6} {'recall':>6} {'F1':>6} {'n':>5}"]
    slots = figures["slots"]
    assert isinstance(slots, dict)
    for name, s in {**slots, "micro": figures["slots_micro"]}.items():
        lines.append(
            f"{name:<18} {s['precision']:6.3f} {s['recall']:6.3f} {s['f1']:6.3f} {s['support']:5d}"
        )
    return "\n".join(lines)
