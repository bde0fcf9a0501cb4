"""Links written ``[title](https://…)`` in a reply, rendered per channel."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from yiwen.channels.links import as_html, as_plain_text, as_wechat_text, find_links


def test_only_http_links_are_links() -> None:
    text = (
        "见[教程](https://a.example/h?x=1) [脚本](javascript:alert(1)) [文件](file:///etc/passwd)"
    )
    assert [(link.title, link.url) for link in find_links(text)] == [
        ("教程", "https://a.example/h?x=1")
    ]
    assert as_plain_text(text) == (
        "见教程 https://a.example/h?x=1 [脚本](javascript:alert(1)) [文件](file:///etc/passwd)"
    )


def test_wechat_anchors_cannot_be_broken_by_the_title() -> None:
    rendered = as_wechat_text('[<b>"标题"</b>](https://a.example/)')
    assert rendered == '<a href="https://a.example/">b"标题"/b</a>'


@given(st.text(max_size=200))
def test_html_rendering_leaves_no_markup_of_its_own_in_plain_text(text: str) -> None:
    """Whatever a reply says, the only tags in Telegram/email HTML are the link anchors."""
    rendered = as_html(text)
    anchors = len(find_links(text))
    assert rendered.count("<") == 2 * anchors
    assert rendered.count("<a href=") == anchors
