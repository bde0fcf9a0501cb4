"""The shared tokeniser: what the NLU and the knowledge base both see."""

from __future__ import annotations

import subprocess
import sys
import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from yiwen.bot.segment import STOP_WORDS, cut, normalise, tokens


def test_full_width_and_capitals_become_half_width_lowercase() -> None:
    assert tokens("ＳＴＥＡＭ充值卡") == ["steam", "充值卡"]


def test_punctuation_emoji_and_stop_words_are_dropped() -> None:
    assert tokens("我的卡密呢？？😂！！") == ["卡密"]


def test_domain_words_stay_whole() -> None:
    words = tokens("卡密显示已被使用，王者荣耀点券没到账，要原路退回")
    for word in ("卡密", "已被使用", "王者荣耀", "点券", "没到账", "原路退回"):
        assert word in words


def test_negation_is_kept_because_it_changes_the_meaning() -> None:
    assert "不" in tokens("不想要了") or "不想" in tokens("不想要了")
    assert "没有" in tokens("没有收到")


def test_search_mode_also_yields_the_words_inside_long_words() -> None:
    assert "到账" not in tokens("没到账")
    assert {"到账", "没到账"} <= set(tokens("没到账", search=True))


def test_cut_keeps_stop_words_for_callers_that_need_them() -> None:
    assert cut("在吗") and tokens("在吗") == []


def test_loading_jieba_prints_nothing() -> None:
    code = "from yiwen.bot.segment import tokens; tokens('卡密没到账')"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout == "" and done.stderr == ""


@given(st.text(max_size=60))
def test_tokens_are_normalised_words_without_stop_words(text: str) -> None:
    found = tokens(text)
    assert found == tokens(normalise(text))
    for token in found:
        assert token == normalise(token) and token.strip() == token
        assert any(unicodedata.category(ch)[0] in "LN" for ch in token)
        assert token not in STOP_WORDS
