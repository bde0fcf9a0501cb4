"""Links in a reply, written ``[title](https://…)`` by agents, macros and knowledge articles,
rendered the way each channel shows a link.

Only ``http``/``https`` URLs are links; anything else in brackets stays text, so
a ``javascript:`` URL never becomes clickable. Channels without rich text get
the title followed by the bare URL, which every chat client makes clickable.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass

LINK = re.compile(r"\[([^\[\]\n]{1,200})\]\((https?://[^\s()<>\"'\\]{1,2000})\)")


@dataclass(frozen=True)
class Link:
    title: str
    url: str


def find_links(text: str) -> list[Link]:
    return [Link(m.group(1).strip(), m.group(2)) for m in LINK.finditer(text)]


def render(
    text: str, link: Callable[[Link], str], other: Callable[[str], str] = lambda part: part
) -> str:
    """``text`` with each link replaced by ``link(…)`` and the text between by ``other(…)``."""
    parts: list[str] = []
    position = 0
    for match in LINK.finditer(text):
        parts.append(other(text[position : match.start()]))
        parts.append(link(Link(match.group(1).strip(), match.group(2))))
        position = match.end()
    parts.append(other(text[position:]))
    return "".join(parts)


def as_plain_text(text: str) -> str:
    """Title and bare URL: QQ, WeCom, the plain part of a mail."""
    return render(text, lambda link: f"{link.title} {link.url}")


def as_html(text: str) -> str:
    """Escaped text with ``<a href>`` links (Telegram's HTML mode; lines kept as newlines)."""
    return render(
        text,
        lambda link: f'<a href="{html.escape(link.url)}">{html.escape(link.title)}</a>',
        lambda part: html.escape(part, quote=False),
    )


def as_wechat_text(text: str) -> str:
    """WeChat text messages show ``<a href>`` as a link and every other character as typed."""
    return render(
        text,
        lambda link: f'<a href="{link.url}">{link.title.replace("<", "").replace(">", "")}</a>',
    )
