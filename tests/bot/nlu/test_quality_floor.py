"""The NLU's quality on the held-out test set written independently of its training data.

testset.jsonl is never used to train or tune the NLU; this test only keeps the
figures measured on it from sliding below a floor (the target is 0.95).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from yiwen.bot.nlu import understand
from yiwen.bot.nlu.evaluate import evaluate, parse_case

TESTSET = Path(__file__).with_name("testset.jsonl")
FLOOR = 0.90


def test_held_out_intent_accuracy_and_slot_f1_stay_above_the_floor() -> None:
    if not TESTSET.exists():
        pytest.skip("tests/bot/nlu/testset.jsonl (the held-out set) has not been written yet")
    lines = TESTSET.read_text(encoding="utf-8").splitlines()
    figures = evaluate((parse_case(line) for line in lines if line.strip()), understand).as_dict()
    slot_f1 = figures["slots_micro"]["f1"]  # type: ignore[index]
    assert figures["accuracy"] >= FLOOR, f"intent accuracy {figures['accuracy']:.3f}"
    assert slot_f1 >= FLOOR, f"slot micro-F1 {slot_f1:.3f}"
