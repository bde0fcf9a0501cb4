"""Chinese tokenisation shared by the bot's NLU and the knowledge base.

Customers type on phones: full-width letters, mixed case, emoji and trailing
punctuation. Both the intent model and retrieval must see the same tokens for
the same words, so normalisation and cutting live here, once. jieba is built
lazily (its prefix dictionary takes about a second to load) on a private
``Tokenizer`` so that loading our domain dictionary never changes what other
users of the global jieba instance see, and its start-up chatter is silenced.
"""

from __future__ import annotations

import logging
import threading
import unicodedata
from importlib import resources

import jieba  # type: ignore[import-untyped]

USERDICT_RESOURCE = "data/userdict.txt"

# Function words that carry no topic. Negations (不, 没, 没有) and question
# words that change meaning (多久, 哪里) are deliberately kept.
STOP_WORDS = frozenset(
    {
        "的",
        "了",
        "吗",
        "呢",
        "啊",
        "吧",
        "呀",
        "哦",
        "噢",
        "嘛",
        "么",
        "啦",
        "哈",
        "嗯",
        "额",
        "呃",
        "哎",
        "唉",
        "喔",
        "哇",
        "诶",
        "是",
        "我",
        "我的",
        "我们",
        "你",
        "你们",
        "您",
        "他",
        "她",
        "它",
        "他们",
        "这",
        "那",
        "这个",
        "那个",
        "这样",
        "那样",
        "就",
        "都",
        "也",
        "还",
        "又",
        "和",
        "与",
        "及",
        "或",
        "跟",
        "而",
        "请",
        "请问",
        "麻烦",
        "一下",
        "下",
        "个",
        "把",
        "被",
        "给",
        "让",
        "得",
        "地",
        "着",
        "过",
        "在",
        "呐",
        "嘞",
        "亲",
        "您好",
        "你好",
        "谢谢",
        "能",
        "可以",
        "想",
        "要",
        "会",
        "知道",
    }
)

_tokenizer: jieba.Tokenizer | None = None
_lock = threading.Lock()


def normalise(text: str) -> str:
    """Full-width to half-width (NFKC), lowercase, whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFKC", text).lower().split())


def _is_word(token: str) -> bool:
    """A token that holds at least one letter or digit (drops punctuation, symbols, emoji)."""
    return any(unicodedata.category(ch)[0] in "LN" for ch in token)


def _userdict_entries() -> list[tuple[str, int | None, str | None]]:
    text = resources.files("yiwen.bot").joinpath(USERDICT_RESOURCE).read_text("utf-8")
    entries: list[tuple[str, int | None, str | None]] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        word = normalise(parts[0])
        freq = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
        tag = parts[2] if len(parts) > 2 else None
        entries.append((word, freq, tag))
    return entries


def _get_tokenizer() -> jieba.Tokenizer:
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                logging.getLogger("jieba").setLevel(logging.WARNING)
                jieba.setLogLevel(logging.WARNING)
                built = jieba.Tokenizer()
                built.initialize()
                for word, freq, tag in _userdict_entries():
                    built.add_word(word, freq, tag)
                _tokenizer = built
    return _tokenizer


def cut(text: str, *, search: bool = False) -> list[str]:
    """Every word-like token of the normalised text, stop words included, in order.

    ``search=True`` also yields the dictionary words inside long words
    ("没到账" gives "到账" as well), which lets retrieval match a question
    phrased negatively against an article that is not.
    """
    cleaned = normalise(text)
    if not cleaned:
        return []
    tokenizer = _get_tokenizer()
    pieces = tokenizer.lcut_for_search(cleaned) if search else tokenizer.lcut(cleaned)
    return [t for t in pieces if t.strip() and _is_word(t)]


def tokens(text: str, *, search: bool = False) -> list[str]:
    """Normalised tokens without punctuation or stop words: what models and indexes see."""
    return [t for t in cut(text, search=search) if t not in STOP_WORDS]
