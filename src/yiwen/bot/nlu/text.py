"""Text as the NLU reads it: simplified characters, half-width letters and digits.

Customers write in traditional characters (Hong Kong, Taiwan, or a phone set to
them), type full-width digits from Chinese input methods and paste order numbers
with stray spaces. Every later step works on one canonical form so that its
regular expressions and the intent model see the same thing for the same meaning.

The same holds for the shorthand of 卡盟 chats: pinyin initials (tk 退款, km 卡密,
fh 发货, rg 人工, wzry 王者荣耀, qb Q币, zfb 支付宝, vx/wx 微信) and the
homophones input methods offer first (到帐, 点劵, 充直). They are spelled out
before anything else reads the message, so that a rule, a slot parser or the
model needs to know only one spelling.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import opencc

_WHITESPACE = re.compile(r"\s+")
# Whole tokens only: "tk" inside an order number, a card key or an email is not 退款.
_ABBREVIATIONS = {
    "tk": "退款",
    "km": "卡密",
    "fh": "发货",
    "rg": "人工",
    "wzry": "王者荣耀",
    "qb": "Q币",
    "zfb": "支付宝",
    "vx": "微信",
    "wx": "微信",
    "kf": "客服",
    "3q": "谢谢",
    "thx": "谢谢",
}
_ABBREVIATION = re.compile(
    r"(?<![A-Za-z0-9@._-])(" + "|".join(_ABBREVIATIONS) + r")(?![A-Za-z0-9@_-])", re.IGNORECASE
)
_HOMOPHONES = {
    "到帐": "到账",
    "点劵": "点券",
    "充直": "直充",
    "卡蜜": "卡密",
    "兑奂": "兑换",
}
_HOMOPHONE = re.compile("|".join(_HOMOPHONES))


@lru_cache(maxsize=1)
def _converter() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def normalise(text: str) -> str:
    """Simplified Chinese, NFKC (full-width → ASCII), single spaces; case is kept.

    Case is kept because order numbers are reported "as written"; the model
    lower-cases on its own.
    """
    text = unicodedata.normalize("NFKC", text)
    text = _converter().convert(text)
    text = _HOMOPHONE.sub(lambda m: _HOMOPHONES[m.group(0)], text)
    text = _ABBREVIATION.sub(lambda m: _ABBREVIATIONS[m.group(0).lower()], text)
    return _WHITESPACE.sub(" ", text).strip()
