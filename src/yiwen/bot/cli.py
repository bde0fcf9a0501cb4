"""The ``yiwen bot`` commands."""

from __future__ import annotations

import json
import logging
from typing import TextIO

from yiwen.bot.simulate.runner import simulate


def run_simulate(conversations: int, seed: int, out: TextIO, *, as_json: bool) -> int:
    """Run the simulator and print its figures (exit 1 if the bot took any wrong action)."""
    if conversations < 1:
        out.write("--conversations must be at least 1\n")
        return 2
    # Each conversation logs its turns at INFO through other features; the figures are the point.
    logging.getLogger().setLevel(logging.WARNING)
    report = simulate(conversations, seed=seed)
    figures = report.as_json()
    if as_json:
        out.write(json.dumps(figures, ensure_ascii=False) + "\n")
        return 1 if report.wrong_actions else 0
    out.write(f"conversations            {figures['conversations']}\n")
    out.write(f"containment              {figures['containment']:.1%}\n")
    out.write(f"correct resolution rate  {figures['correct_resolution_rate']:.1%}\n")
    out.write(f"wrong actions            {figures['wrong_actions']}\n")
    out.write(f"mean turns to resolution {figures['mean_turns']}\n")
    out.write("handoffs by reason:\n")
    for reason, count in report.handoffs.most_common():
        out.write(f"  {reason:<28} {count}\n")
    out.write("by script (total / resolved / correct):\n")
    for name, counts in sorted(report.by_script.items()):
        out.write(
            f"  {name:<20} {counts['total']:>4} {counts['resolved']:>4} {counts['correct']:>4}\n"
        )
    for line in report.wrong:
        out.write(f"WRONG {line}\n")
    return 1 if report.wrong_actions else 0
