"""A mail body as the agent should read it: HTML flattened safely, quoted history cut off.

Customers answer on top of the whole thread, so each reply carries every
earlier message again. Only the markers mail clients really write are cut
("在 … 写道：" from QQ邮箱/163/Foxmail, "On … wrote:" from Gmail and Apple
Mail, Outlook's "-----Original Message-----" and its 发件人/From header block,
QQ邮箱's "原始邮件" rule, and a trailing block of "> " lines); anything less
certain is left in, because losing what the customer wrote is worse than
showing a quote twice. A forwarded mail is not a quote: it is kept.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

# Elements whose text is never shown (code, styles, the document head).
_HIDDEN = frozenset({"script", "style", "head", "title", "template", "noscript", "svg"})
_BLOCKS = frozenset(
    {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table"}
)

_WROTE_ZH = re.compile(r"^\s*(在|于).{0,200}写道\s*[：:]\s*$")
_WROTE_EN = re.compile(r"^\s*On\s.{0,300}\bwrote\s*:\s*$", re.IGNORECASE)
_ORIGINAL = re.compile(r"^\s*-{2,}\s*(Original Message|原始邮件)\s*-{2,}\s*$", re.IGNORECASE)
_HEADER_FROM = re.compile(r"^\s*(From|发件人)\s*[：:]", re.IGNORECASE)
_HEADER_NEXT = re.compile(r"^\s*(Sent|Date|发送时间|日期|时间|To|收件人)\s*[：:]", re.IGNORECASE)
_SIGNATURE = "-- "


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self.hidden += 1
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """The visible text of an HTML mail; no markup survives, so nothing can run in the console."""
    extractor = _TextExtractor()
    extractor.feed(html)
    extractor.close()
    text = "".join(extractor.parts).replace("\xa0", " ")
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return _squeeze_blank_lines(lines)


def trim_quoted(text: str) -> str:
    """The new part of a reply; the whole text when no reliable marker is found."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    cut = _quote_start(lines)
    kept = lines[:cut]
    while kept and (not kept[-1].strip() or kept[-1].lstrip().startswith(">")):
        kept.pop()
    trimmed = "\n".join(kept).strip()
    return trimmed if trimmed else text.strip()


def _quote_start(lines: list[str]) -> int:
    for index, line in enumerate(lines):
        if line == _SIGNATURE or _ORIGINAL.match(line):
            return index
        if _WROTE_ZH.match(line) or _WROTE_EN.match(line):
            return index
        # Gmail wraps a long "On … wrote:" over two lines.
        wrapped = f"{line} {lines[index + 1]}" if index + 1 < len(lines) else ""
        if line.lstrip().lower().startswith("on ") and _WROTE_EN.match(wrapped):
            return index
        if _HEADER_FROM.match(line) and any(
            _HEADER_NEXT.match(following) for following in lines[index + 1 : index + 4]
        ):
            return index
    return len(lines)


def _squeeze_blank_lines(lines: list[str]) -> str:
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()
