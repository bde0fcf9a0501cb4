"""Sums of money in yuan: 50元, 五十块, ¥30, 三十八块五, 1.5k, 50r, 付了88, 花了一百二.

A number is taken for money only with a currency word or sign beside it, or
after a verb that moves money (付了, 充了, 扣了, 退…) and not followed by a unit
that is not money (个, 次, 点券, 天…). Identifiers are masked before this runs,
so order numbers and phones never read as sums.
"""

from __future__ import annotations

import re
from decimal import Decimal

from .numerals import to_decimal

_CN = r"[零〇一二两三四五六七八九十百千万]+"
_NUM = r"(\d+(?:\.\d+)?\s*[kKwW万千]?|" + _CN + r")"
_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}

_SIGN_BEFORE = re.compile(r"(?:[¥￥]|rmb|RMB|CNY|cny)\s*(\d+(?:\.\d+)?)")
_UNIT_AFTER = re.compile(
    _NUM
    + r"\s*(块钱|块(?!儿)|元|圆|rmb|RMB|cny|CNY|大洋|毛钱|毛|角|米(?!饭)|(?<=\d)[rR](?![A-Za-z]))"
    r"([一二三四五六七八九\d])?"
)
# "一百块的话费", "50元的卡": the face value of a product, taken only when the message
# names no other sum ("一百块的话费 充了50" is about the 50 paid).
_FACE_VALUE = re.compile(
    r"的?(?:话费|卡(?!密|号)|充值卡|礼品卡|E卡|点卡|面值|面额|点券|Q币|q币|会员|月卡|游戏币)"
)
_CORRECTION = re.compile(r"不对|不是|说错|打错|写错|更正|纠正")
_THOUSANDS = re.compile(r"(?<![\dA-Za-z.])(\d+(?:\.\d+)?)\s*([kKwW])(?![A-Za-z])")
_VERB = (
    r"(?:付了|付的|付款|支付了?|花了|扣了我?(?:两|2|二|三|3)次|[充冲]了|[充冲]值了?|扣了|扣款|扣费|多扣了?|退款?|退我|转了|打了|"
    r"盗刷了?|被刷了|(?<=[一每])次|金额(?:是|为)?|价格(?:是|为)?|总共|一共|共计|实付|付)\s*:?\s*"
)
_NOT_MONEY_AFTER = (
    r"(?:多|几|来|个|次|张|天|小时|分钟|分|号|点|月|年|岁|级|折|%|倍|U|u|usdt|USDT|下|遍|单|笔)"
)
_MONEY_VERB = re.compile(_VERB + r"(\d+(?:\.\d+)?)(?![\d.]|\s*" + _NOT_MONEY_AFTER + ")")
# Chinese numerals after a money verb count only with a magnitude word (花了一百二,
# 充了五十): a bare 一/两 after a verb is a count far more often than a sum (退一下).
_MONEY_VERB_CN = re.compile(
    _VERB + r"([零〇一二两三四五六七八九]*[十百千万][零〇一二两三四五六七八九十百千万]*)"
    r"(?!\s*" + _NOT_MONEY_AFTER + ")"
)
_USDT_AMOUNT = re.compile(r"(\d+(?:\.\d+)?)\s*(?:U|u|usdt|USDT)(?![A-Za-z])")


def extract_amount(text: str) -> Decimal | None:
    for finder in (_with_unit, _with_sign, _with_thousands, _after_verb, _usdt, _face_value):
        value = finder(text)
        if value is not None and value > 0:
            return value
    return None


def _with_unit(text: str) -> Decimal | None:
    matches = [m for m in _UNIT_AFTER.finditer(text) if not _FACE_VALUE.match(text, m.end())]
    if len(matches) > 1 and _CORRECTION.search(text, matches[0].end(), matches[-1].start()):
        # "18块，不对 是50块": the corrected figure is the one meant.
        return _unit_value(matches[-1])
    return _unit_value(matches[0]) if matches else None


def _face_value(text: str) -> Decimal | None:
    """ "100元的话费" when nothing else in the message is a sum: what the customer paid for."""
    match = _UNIT_AFTER.search(text)
    return _unit_value(match) if match else None


def _unit_value(match: re.Match[str]) -> Decimal | None:
    value = to_decimal(match[1])
    if value is None:
        return None
    unit, tail = match[2], match[3]
    if unit in ("毛", "毛钱", "角"):
        return value / 10
    if tail and unit in ("块", "元"):
        # 三十八块五 = 38.5: the digit after 块 counts tenths.
        tenth = int(tail) if tail.isdigit() else _DIGITS.get(tail, 0)
        value += Decimal(tenth) / 10
    return value


def _with_sign(text: str) -> Decimal | None:
    match = _SIGN_BEFORE.search(text)
    return Decimal(match[1]) if match else None


def _with_thousands(text: str) -> Decimal | None:
    match = _THOUSANDS.search(text)
    return to_decimal(match[1] + match[2]) if match else None


def _after_verb(text: str) -> Decimal | None:
    match = _MONEY_VERB.search(text)
    if match:
        return Decimal(match[1])
    match = _MONEY_VERB_CN.search(text)
    return to_decimal(match[1]) if match else None


def _usdt(text: str) -> Decimal | None:
    match = _USDT_AMOUNT.search(text)
    return Decimal(match[1]) if match else None
