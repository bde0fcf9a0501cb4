"""``yiwen nlu parse`` and ``yiwen nlu eval``: the NLU from the shell, for people and scripts."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TextIO

from yiwen.core.clock import SHANGHAI, SystemClock

from . import understand
from .evaluate import evaluate, format_report, parse_case


def run_parse(
    now: str | None,
    lines: TextIO,
    out: TextIO,
    *,
    order_patterns: Sequence[str] | None = None,
    ticket_prefix: str = "YW",
) -> int:
    """One JSON line out per JSON line in: ``{"intent", "confidence", "slots"}``.

    A line may carry its own ``"now"``; otherwise ``--now`` (or the system clock) applies.
    """
    default_moment = _moment(now)
    for line in lines:
        if not line.strip():
            continue
        raw = json.loads(line)
        text = str(raw["text"])
        moment = _moment(raw["now"]) if raw.get("now") else default_moment
        result = understand(
            text, moment, order_patterns=order_patterns, ticket_prefix=ticket_prefix
        )
        row = {
            "intent": result.intent,
            "confidence": round(result.confidence, 4),
            "slots": result.slots.as_json(),
        }
        if result.flags:
            row["flags"] = sorted(result.flags)
        out.write(json.dumps(row, ensure_ascii=False) + "\n")
        out.flush()
    return 0


def run_eval(
    path: Path,
    out: TextIO,
    *,
    as_json: bool = False,
    order_patterns: Sequence[str] | None = None,
    ticket_prefix: str = "YW",
) -> int:
    cases = [
        parse_case(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    reader = partial(understand, order_patterns=order_patterns, ticket_prefix=ticket_prefix)
    figures = evaluate(cases, reader).as_dict()
    if as_json:
        out.write(json.dumps(figures, ensure_ascii=False, indent=2) + "\n")
    else:
        out.write(format_report(figures) + "\n")
    return 0


def _moment(now: str | None) -> datetime:
    if now is None:
        return SystemClock().now()
    moment = datetime.fromisoformat(now)
    return moment if moment.tzinfo else moment.replace(tzinfo=SHANGHAI)
