"""A small simulated day: scripted customers against a fresh demo shop, judged by the simulator."""

from __future__ import annotations

import json
from io import StringIO

from yiwen.bot.cli import run_simulate


def test_a_small_simulation_moves_no_money_or_keys_wrongly_and_contains_most_contacts() -> None:
    out = StringIO()
    code = run_simulate(60, 3, out, as_json=True)
    figures = json.loads(out.getvalue())
    assert figures["wrong_actions"] == 0 and code == 0
    assert figures["containment"] >= 0.6
    assert figures["correct_resolution_rate"] >= 0.8
    assert 1 <= figures["mean_turns"] <= 4
    assert set(figures) >= {
        "containment",
        "correct_resolution_rate",
        "wrong_actions",
        "mean_turns",
        "handoffs_by_reason",
    }
    assert sum(figures["handoffs_by_reason"].values()) >= 1
