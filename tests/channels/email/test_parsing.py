"""Reading mails as clients really write them: quotes, charsets, HTML, automated senders."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from yiwen.channels.email.intake import clean_subject
from yiwen.channels.email.parsing import parse_mail
from yiwen.channels.email.sender import outbound_message_id, reply_subject
from yiwen.channels.email.text import html_to_text, trim_quoted

QQ_MAIL_REPLY = """\
好的，我再试一下。



------------------&nbsp;原始邮件&nbsp;------------------
发件人: "小店客服" <kefu@shop.example.com>
发送时间: 2026年11月22日(星期天) 上午10:05
收件人: "买家" <buyer@qq.com>
主题: Re: 卡密没收到
""".replace("&nbsp;", " ")

GMAIL_REPLY = """\
Still not working, see attached.

On Sun, Nov 22, 2026 at 10:05 AM 小店客服 <kefu@shop.example.com>
wrote:

> Please try again.
"""

FOXMAIL_REPLY = """\
充值到账了，谢谢！

在 2026-11-22 10:05:00，"小店客服" <kefu@shop.example.com> 写道：
>您好，已为您重新充值。
"""

OUTLOOK_REPLY = """\
Order number is 202611220001.

-----Original Message-----
From: 小店客服 <kefu@shop.example.com>
Sent: Sunday, November 22, 2026 10:05 AM
"""

OUTLOOK_ZH_REPLY = """\
订单号见截图。

发件人: 小店客服 <kefu@shop.example.com>
发送时间: 2026年11月22日 10:05
收件人: buyer@example.com
"""


def test_the_quoted_history_of_each_common_client_is_cut_off() -> None:
    assert trim_quoted(QQ_MAIL_REPLY) == "好的，我再试一下。"
    assert trim_quoted(GMAIL_REPLY) == "Still not working, see attached."
    assert trim_quoted(FOXMAIL_REPLY) == "充值到账了，谢谢！"
    assert trim_quoted(OUTLOOK_REPLY) == "Order number is 202611220001."
    assert trim_quoted(OUTLOOK_ZH_REPLY) == "订单号见截图。"


def test_text_that_only_mentions_a_sender_is_kept_whole() -> None:
    text = "发件人: 我自己\n我的订单 202611220001 一直没到账"
    assert trim_quoted(text) == text


@given(st.text(min_size=1).filter(lambda s: s.strip()))
def test_trimming_never_leaves_an_empty_message(text: str) -> None:
    assert trim_quoted(text).strip()


def test_html_loses_every_tag_script_and_style() -> None:
    html = (
        '<div onclick="x()">卡密<img src=x onerror=alert(1)>无效</div>'
        "<script>document.cookie</script><style>.a{}</style><p>&lt;b&gt;订单&lt;/b&gt;</p>"
    )
    text = html_to_text(html)
    assert text == "卡密无效\n\n<b>订单</b>"
    assert "cookie" not in text and "onerror" not in text


def test_a_gbk_mail_labelled_gb2312_reads_correctly() -> None:
    body = "镕基的卡密没到".encode("gbk")  # 镕 is GBK, not GB2312
    raw = (
        b"From: =?gb2312?B?wvK80g==?= <Buyer@163.com>\r\n"
        b"Subject: =?gbk?B?v6jD3A==?=\r\n"
        b"Message-ID: <gbk.1@163.com>\r\n"
        b"Content-Type: text/plain; charset=gb2312\r\n"
        b"Content-Transfer-Encoding: 8bit\r\n\r\n" + body + b"\r\n"
    )
    mail = parse_mail(raw)
    assert mail.sender == "buyer@163.com"
    assert mail.display_name == "买家"
    assert mail.subject == "卡密"
    assert mail.text == "镕基的卡密没到"


def test_a_mail_without_message_id_gets_a_stable_one() -> None:
    raw = b"From: a@example.com\r\nSubject: hi\r\n\r\nhello\r\n"
    first, again = parse_mail(raw), parse_mail(raw)
    assert first.message_id == again.message_id
    assert first.message_id.startswith("<sha256.")
    assert parse_mail(raw + b"more\r\n").message_id != first.message_id


def test_a_person_replying_is_a_message_and_automated_senders_are_not() -> None:
    person = b"From: a@example.com\r\nAuto-Submitted: no\r\nSubject: Re: hi\r\n\r\nok\r\n"
    assert parse_mail(person).kind == "message"
    vacation = b"From: a@example.com\r\nSubject: =?utf-8?b?6Ieq5Yqo5Zue5aSN?=\r\n\r\naway\r\n"
    assert parse_mail(vacation).kind == "auto_reply"  # "自动回复"
    daemon = b"From: Mail Delivery Subsystem <MAILER-DAEMON@qq.com>\r\nSubject: x\r\n\r\nfail\r\n"
    assert parse_mail(daemon).kind == "bounce"
    postmaster = b"From: postmaster@163.com\r\nSubject: =?utf-8?b?6YCA5L+h?=\r\n\r\nx\r\n"
    assert parse_mail(postmaster).kind == "bounce"


def test_threading_ids_come_nearest_first() -> None:
    raw = (
        b"From: a@example.com\r\nMessage-ID: <c@x>\r\nIn-Reply-To: <b@x>\r\n"
        b"References: <root@x> <a@x> <b@x>\r\n\r\nhi\r\n"
    )
    assert parse_mail(raw).thread_ids == ("<b@x>", "<a@x>", "<root@x>")


def test_the_reply_subject_keeps_one_re_and_one_ticket_tag() -> None:
    assert clean_subject("回复：Re: RE: 卡密没收到 [YW20261122-000001]", "YW") == "卡密没收到"
    assert (
        reply_subject("Re: 卡密没收到 [YW20261122-000001]", "YW20261122-000001", "YW")
        == "Re: 卡密没收到 [YW20261122-000001]"
    )
    assert reply_subject("", None, "YW") == "Re: 您的咨询"


def test_outbound_message_ids_are_stable_per_delivery_and_unguessable() -> None:
    first = outbound_message_id("secret", "message:42:channel", "kefu@shop.example.com")
    assert first == outbound_message_id("secret", "message:42:channel", "kefu@shop.example.com")
    assert first != outbound_message_id("secret", "message:43:channel", "kefu@shop.example.com")
    assert first != outbound_message_id("other", "message:42:channel", "kefu@shop.example.com")
    assert first.endswith("@shop.example.com>")
