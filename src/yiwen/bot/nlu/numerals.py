"""Chinese numerals as customers write them in times and sums (二十, 两百, 三点半, 1.5k)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import cn2an

_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "俩": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
CN_NUMBER = "[零〇一二两俩三四五六七八九十百千万]"


def small_int(word: str) -> int | None:
    """An hour or minute: below 100, in digits or Chinese (十二, 二十五, 两, 零五)."""
    if word.isdigit():
        return int(word)
    if not word or any(ch not in _DIGITS and ch != "十" for ch in word):
        return None
    if all(ch in _DIGITS for ch in word):
        # Digit by digit, as in 零五 (minute five) or 一一 (rare but seen).
        return int("".join(str(_DIGITS[ch]) for ch in word))
    tens, _, units = word.partition("十")
    if len(tens) > 1 or len(units) > 1 or "十" in units:
        return None
    return (_DIGITS[tens] if tens else 1) * 10 + (_DIGITS[units] if units else 0)


def to_decimal(word: str) -> Decimal | None:
    """A number in digits or Chinese, with 万/k/w shorthands (1.5k, 两万, 一千五)."""
    word = word.strip().replace(",", "")
    if not word:
        return None
    multiplier = Decimal(1)
    suffix = word[-1].lower()
    if suffix in ("k", "千") and _is_plain_number(word[:-1]):
        multiplier, word = Decimal(1000), word[:-1]
    elif suffix in ("w", "万") and _is_plain_number(word[:-1]):
        multiplier, word = Decimal(10000), word[:-1]
    try:
        return Decimal(word) * multiplier
    except InvalidOperation:
        pass
    try:
        value = cn2an.cn2an(word, "smart")
    except (ValueError, KeyError, IndexError):
        return None
    return Decimal(str(value)) * multiplier


def _is_plain_number(word: str) -> bool:
    try:
        Decimal(word)
    except InvalidOperation:
        return False
    return True
