"""``yiwen kb eval FILE``, run as a user would run it."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

from yiwen.bot.kb.evaluate import run_eval
from yiwen.core.settings import Settings

QUESTIONS = Path(__file__).with_name("questions.jsonl")


def _yiwen(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "YIWEN_DATA_DIR": str(tmp_path / "var")}
    return subprocess.run(
        [sys.executable, "-m", "yiwen.cli", "kb", "eval", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_eval_prints_top1_and_top3_accuracy(tmp_path: Path) -> None:
    done = _yiwen(tmp_path, str(QUESTIONS))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    total = sum(1 for line in QUESTIONS.read_text("utf-8").splitlines() if line.strip())
    assert lines[0] == f"questions: {total}"
    assert lines[1].startswith("top-1 accuracy: 0.") and lines[2].startswith("top-3 accuracy: ")


def test_eval_of_a_missing_or_malformed_file_fails_with_a_message(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "var")
    out, err = io.StringIO(), io.StringIO()
    assert run_eval(settings, tmp_path / "nope.jsonl", out, err) == 1
    assert "cannot read" in err.getvalue()
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"question": "退款"}\n', "utf-8")
    assert run_eval(settings, broken, out, err) == 1
    assert "broken.jsonl:1" in err.getvalue() and out.getvalue() == ""
