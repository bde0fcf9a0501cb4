"""Text as the NLU reads it: simplified characters, half-width letters and digits.

Customers write in traditional characters (Hong Kong, Taiwan, or a phone set to
them), type full-width digits from Chinese input methods and paste order numbers
with stray spaces. Every later step works on one canonical form so that its
regular expressions and the intent model see the same thing for the same meaning.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import opencc

_WHITESPACE = re.compile(r"\s+")


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
    return _WHITESPACE.sub(" ", text).strip()
