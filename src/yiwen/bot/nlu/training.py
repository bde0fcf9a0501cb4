"""The intent model's training examples, read from readable files in ``data/``.

``data/intents/<intent>.txt`` holds one example a line. A line may hold
alternatives in square brackets (``[卡密|兑换码]没[收到|到]``), expanded to
every combination (a deterministic sample when there are many), and fillers in
braces (``{game}``, ``{order}``, ``{amount}``…) drawn from ``data/fillers.json``,
so one written line stands for the many ways customers say the same thing.
Lines starting with ``#`` are comments.

Everything here is deterministic: the same files give the same examples, in
the same order, so training gives the same model.
"""

from __future__ import annotations

import itertools
import json
import random
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from .types import INTENTS

_ALTERNATIVES = re.compile(r"\[([^\[\]]*)\]")
_FILLER = re.compile(r"\{(\w+)\}")
# A line with more combinations than this is sampled, so that one productive
# template does not drown an intent's hand-written examples.
MAX_EXPANSIONS = 12
# Openers like "你好，" are what greetings are made of: not added around them.
_SMALL_TALK = frozenset({"greeting", "thanks", "out_of_scope"})


@dataclass(frozen=True)
class Example:
    text: str
    intent: str
    # The line it was expanded from: examples of one line are near-duplicates, so
    # held-out scoring keeps them on the same side of a split.
    source: str = ""


def data_dir() -> Path:
    return Path(str(resources.files("yiwen.bot.nlu") / "data"))


@lru_cache(maxsize=1)
def load_examples() -> tuple[Example, ...]:
    """Every training example, templates expanded, in a stable order."""
    fillers = _fillers()
    examples: list[Example] = []
    for intent in INTENTS:
        path = data_dir() / "intents" / f"{intent}.txt"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            source = f"{intent}:{number}"
            for index, text in enumerate(expand(line, fillers, seed=source)):
                examples.append(Example(text, intent, source))
                if intent not in _SMALL_TALK:
                    wrapped = _wrap(text, fillers, seed=f"{source}:{index}")
                    examples.append(Example(wrapped, intent, source))
    return tuple(examples)


def _wrap(text: str, fillers: dict[str, list[str]], seed: str) -> str:
    """The same request inside the politeness and urgency customers add around it."""
    rng = random.Random(seed)
    return rng.choice(fillers["opener"]) + text + rng.choice(fillers["closer"])


def expand(line: str, fillers: dict[str, list[str]], *, seed: str) -> list[str]:
    rng = random.Random(seed)
    options = [group.split("|") for group in _ALTERNATIVES.findall(line)]
    skeleton = _ALTERNATIVES.sub("\x00", line)
    combos = list(itertools.product(*options)) if options else [()]
    if len(combos) > MAX_EXPANSIONS:
        combos = rng.sample(combos, MAX_EXPANSIONS)
    texts = []
    for combo in combos:
        text = skeleton
        for choice in combo:
            text = text.replace("\x00", choice, 1)
        text = _FILLER.sub(lambda m: rng.choice(fillers[m.group(1)]), text)
        texts.append(text)
    return texts


@lru_cache(maxsize=1)
def _fillers() -> dict[str, list[str]]:
    raw = json.loads((data_dir() / "fillers.json").read_text(encoding="utf-8"))
    return {name: list(values) for name, values in raw.items()}
