"""The held-out NLU test set is only a fair yardstick if every line is well-formed.

A malformed gold label (a time that does not parse, an order number the text
does not contain, an intent the taxonomy does not know) would silently count as
a model error, so these checks guard the file itself, not the NLU.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

TESTSET = Path(__file__).with_name("testset.jsonl")

INTENTS = frozenset(
    {
        "delivery_missing",
        "card_invalid",
        "refund_request",
        "refund_status",
        "order_status",
        "payment_issue",
        "account_security",
        "balance_issue",
        "promo_issue",
        "how_to_use",
        "presale",
        "bulk_purchase",
        "human_agent",
        "complaint",
        "ticket_progress",
        "greeting",
        "thanks",
        "out_of_scope",
    }
)
# After-sales traffic is dominated by these; the set must weight them accordingly.
HEAVY_INTENTS = ("delivery_missing", "card_invalid", "refund_request", "payment_issue")
SLOT_KEYS = frozenset(
    {"order_no", "ticket_no", "amount", "time", "payment_method", "phone", "email", "card_key"}
)
PAYMENT_METHODS = frozenset({"alipay", "wechat", "qq_wallet", "bank_card", "balance", "usdt"})
MINUTE_FORMAT = "%Y-%m-%dT%H:%M"

DUJIAOKA_ORDER = re.compile(r"[A-Z0-9]{16}")
TIMESTAMP_ORDER = re.compile(r"\d{20}")
TICKET_NO = re.compile(r"YW\d{8}-\d{6}")
PHONE = re.compile(r"1[3-9]\d{9}")
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
CARD_KEY = re.compile(r"[A-Za-z0-9]{3,8}(?:-[A-Za-z0-9]{3,8}){2,5}")


def _load() -> list[dict[str, Any]]:
    lines = TESTSET.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


ROWS = _load()


def _digits(text: str) -> str:
    return re.sub(r"[\s-]", "", text)


def test_file_has_at_least_600_lines_of_json_objects() -> None:
    assert len(ROWS) >= 600
    assert all(isinstance(row, dict) for row in ROWS)
    assert all(set(row) == {"text", "now", "intent", "slots"} for row in ROWS)


def test_every_intent_is_known_and_has_at_least_20_lines() -> None:
    counts = Counter(row["intent"] for row in ROWS)
    assert set(counts) == INTENTS
    assert min(counts.values()) >= 20


def test_common_after_sales_intents_outweigh_small_talk() -> None:
    counts = Counter(row["intent"] for row in ROWS)
    for heavy in HEAVY_INTENTS:
        assert counts[heavy] > counts["greeting"]
        assert counts[heavy] > counts["thanks"]


def test_no_text_appears_twice() -> None:
    texts = Counter(row["text"].strip() for row in ROWS)
    assert [text for text, n in texts.items() if n > 1] == []
    assert all(row["text"].strip() for row in ROWS)


def test_now_is_a_minute_precise_local_time_and_varies() -> None:
    nows = {row["now"] for row in ROWS}
    for now in nows:
        assert datetime.strptime(now, MINUTE_FORMAT).strftime(MINUTE_FORMAT) == now
    assert len(nows) >= 8


@pytest.mark.parametrize("row", ROWS, ids=lambda row: row["text"][:24])
def test_slots_are_normalised(row: dict[str, Any]) -> None:
    slots, text = row["slots"], row["text"]
    assert isinstance(slots, dict)
    assert set(slots) <= SLOT_KEYS
    if "order_no" in slots:
        assert isinstance(slots["order_no"], list) and slots["order_no"]
        for order_no in slots["order_no"]:
            assert order_no in text
            if TIMESTAMP_ORDER.fullmatch(order_no):
                # The number starts with the order's local creation time, never after "now".
                created = datetime.strptime(order_no[:14], "%Y%m%d%H%M%S")
                assert created <= datetime.strptime(row["now"], MINUTE_FORMAT) + timedelta(
                    minutes=1
                )
            else:
                assert DUJIAOKA_ORDER.fullmatch(order_no), order_no
                assert not order_no.isdigit()
    if "ticket_no" in slots:
        assert TICKET_NO.fullmatch(slots["ticket_no"])
        assert slots["ticket_no"] in text.upper()
        opened = datetime.strptime(slots["ticket_no"][2:10], "%Y%m%d")
        assert opened <= datetime.strptime(row["now"], MINUTE_FORMAT)
    if "amount" in slots:
        amount = slots["amount"]
        assert isinstance(amount, int | float) and not isinstance(amount, bool)
        assert 0 < amount < 1_000_000
    if "time" in slots:
        moment = datetime.strptime(slots["time"], MINUTE_FORMAT)
        now = datetime.strptime(row["now"], MINUTE_FORMAT)
        # Customers report what already happened, within the last few weeks.
        assert now - timedelta(days=40) <= moment <= now + timedelta(days=2)
    if "payment_method" in slots:
        assert slots["payment_method"] in PAYMENT_METHODS
    if "phone" in slots:
        assert PHONE.fullmatch(slots["phone"])
        assert slots["phone"] in _digits(text)
    if "email" in slots:
        assert EMAIL.fullmatch(slots["email"])
        assert slots["email"] in text
    if "card_key" in slots:
        assert CARD_KEY.fullmatch(slots["card_key"]), slots["card_key"]
        assert slots["card_key"] in text


def test_slot_values_never_overlap() -> None:
    """A phone number or card key must not double as an order number in the gold labels."""
    for row in ROWS:
        slots = row["slots"]
        orders = set(slots.get("order_no", []))
        for key in ("phone", "card_key", "ticket_no"):
            assert slots.get(key) not in orders
