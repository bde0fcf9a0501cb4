"""Sums of money in yuan: 50元, 五十块, ¥30, 三十八块五, 1.5k, 付了88.

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
    _NUM + r"\s*(块钱|块(?!儿)|元|圆|rmb|RMB|cny|CNY|大洋|毛钱|毛|角)([一二三四五六七八九\d])?"
)
_THOUSANDS = re.compile(r"(?<![\dA-Za-z.])(\d+(?:\.\d+)?)\s*([kKwW])(?![A-Za-z])")
_MONEY_VERB = re.compile(
    r"(?:付了|付的|付款|支付了?|花了|扣了我?(?:两|2|二|三|3)次|[充冲]了|[充冲]值了?|扣了|扣款|扣费|多扣了?|退款?|退我|转了|打了|"
    r"金额(?:是|为)?|价格(?:是|为)?|总共|一共|共计|实付|付)\s*:?\s*"
    r"(\d+(?:\.\d+)?)(?![\d.]|\s*(?:个|次|张|天|小时|分钟|分|号|点|月|年|岁|级|折|%|倍|U|u|usdt|USDT))"
)
_USDT_AMOUNT = re.compile(r"(\d+(?:\.\d+)?)\s*(?:U|u|usdt|USDT)(?![A-Za-z])")


def extract_amount(text: str) -> Decimal | None:
    for finder in (_with_unit, _with_sign, _with_thousands, _after_verb, _usdt):
        value = finder(text)
        if value is not None and value > 0:
            return value
    return None


def _with_unit(text: str) -> Decimal | None:
    match = _UNIT_AFTER.search(text)
    if not match:
        return None
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
    return Decimal(match[1]) if match else None


def _usdt(text: str) -> Decimal | None:
    match = _USDT_AMOUNT.search(text)
    return Decimal(match[1]) if match else None
