"""``yiwen nlu parse`` and ``yiwen nlu eval`` end to end.

The first test runs the command as a separate process; the others call the same
``main()`` in this process (sharing its trained model) to keep the suite fast.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from yiwen.cli import main

YIWEN = [sys.executable, "-m", "yiwen.cli"]


def run(args: list[str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*YIWEN, *args], input=stdin, capture_output=True, text=True, timeout=120, check=False
    )


def test_parse_writes_one_json_line_per_input_with_absent_slots_omitted() -> None:
    lines = [
        {"text": "昨天晚上8点用支付宝付了五十块，订单K3F9ZQ2M8TX1B7RA卡密没收到"},
        {"text": "你好"},
        {"text": "去12315投诉你们"},
    ]
    result = run(
        ["nlu", "parse", "--now", "2026-11-22T10:00:00+08:00"],
        "\n".join(json.dumps(line, ensure_ascii=False) for line in lines) + "\n",
    )
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 3
    assert rows[0]["intent"] == "delivery_missing"
    assert rows[0]["slots"] == {
        "order_no": ["K3F9ZQ2M8TX1B7RA"],
        "amount": 50,
        "time": "2026-11-21T20:00",
        "payment_method": "alipay",
    }
    assert 0.0 <= rows[0]["confidence"] <= 1.0
    assert rows[1] == {"intent": "greeting", "confidence": rows[1]["confidence"], "slots": {}}
    assert rows[2]["flags"] == ["external_complaint"]


def in_process(
    args: list[str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    stdin: str = "",
) -> str:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    assert main(args) == 0
    return capsys.readouterr().out


def test_parse_resolves_relative_times_against_the_given_now(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = in_process(
        ["nlu", "parse", "--now", "2026-03-01T00:30"],
        capsys,
        monkeypatch,
        '{"text": "前天晚上11点半买的"}\n{"text": "刚才", "now": "2026-05-05T12:34:00+08:00"}\n',
    )
    first, second = (json.loads(line) for line in out.splitlines())
    assert first["slots"]["time"] == "2026-02-27T23:30"
    assert second["slots"]["time"] == "2026-05-05T12:34"


def test_eval_prints_accuracy_per_intent_table_confusions_and_slot_scores(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    labelled = tmp_path / "cases.jsonl"
    cases = [
        {
            "text": "卡密没收到",
            "now": "2026-11-22T10:00:00+08:00",
            "intent": "delivery_missing",
            "slots": {},
        },
        {
            "text": "退款",
            "now": "2026-11-22T10:00:00+08:00",
            "intent": "refund_status",
            "slots": {},
        },
        {
            "text": "帮我查一下订单K3F9ZQ2M8TX1B7RA，付了30元",
            "now": "2026-11-22T10:00:00+08:00",
            "intent": "order_status",
            "slots": {"order_no": ["K3F9ZQ2M8TX1B7RA"], "amount": 31},
        },
    ]
    labelled.write_text("\n".join(json.dumps(c, ensure_ascii=False) for c in cases) + "\n")

    text = in_process(["nlu", "eval", str(labelled)], capsys, monkeypatch)
    assert "accuracy" in text and "macro-F1" in text
    assert "refund_status → refund_request" in text

    figures = json.loads(in_process(["nlu", "eval", str(labelled), "--json"], capsys, monkeypatch))
    assert figures["total"] == 3
    assert abs(figures["accuracy"] - 2 / 3) < 1e-9
    assert figures["confusions"] == [
        {"expected": "refund_status", "predicted": "refund_request", "count": 1}
    ]
    # order_no right; amount 30 found where 31 was expected: one false positive, one miss.
    assert figures["slots"]["order_no"] == {
        "precision": 1.0,
        "recall": 1.0,
        "f1": 1.0,
        "support": 1,
    }
    assert figures["slots"]["amount"]["precision"] == 0.0
    assert figures["slots_micro"]["precision"] == 0.5
    assert figures["slots_micro"]["recall"] == 0.5
    assert figures["intents"]["refund_status"]["recall"] == 0.0
