"""The LLM client and assistant against a local chat-completions server (see peer.py)."""

from __future__ import annotations

import time

import pytest

from tests.bot.llm.peer import Peer, text, tool_call
from yiwen.bot.llm.guard import added_facts
from yiwen.bot.llm.openai_compat import OpenAICompatibleBackend, looks_like_a_call
from yiwen.bot.llm.protocol import ChatMessage, LLMOutputRefused, LLMUnavailable
from yiwen.bot.llm.registry import build_backend
from yiwen.bot.llm.service import Assistant, ConversationLine, assistant
from yiwen.core.errors import Conflict
from yiwen.core.settings import Settings

ANSWER = "退款提交后原路退回：支付宝、微信通常即时到账；银行卡需要 1–3 个工作日。"
QUESTION = "我用银行卡付的 退款啥时候能到啊"


def _backend(url: str, timeout: float = 5.0) -> OpenAICompatibleBackend:
    return OpenAICompatibleBackend(url, "sk-test", "qwen-test", timeout)


def test_the_llm_is_off_by_default_and_rephrase_then_returns_the_original() -> None:
    settings = Settings()
    assert settings.llm_enabled is False and build_backend(settings) is None
    helper = assistant(settings)
    assert helper.rephrase(ANSWER, QUESTION) == ANSWER
    with pytest.raises(Conflict):
        helper.draft_reply([ConversationLine("customer", QUESTION)], {})


def test_rephrase_returns_the_models_wording_and_sends_the_chat_completions_shape(
    peer: tuple[Peer, str],
) -> None:
    fake, url = peer
    fake.reply = text("您好，银行卡退款需要 1–3 个工作日到账，请耐心等待哦。")
    result = Assistant(_backend(url)).rephrase(ANSWER, QUESTION)
    assert result == "您好，银行卡退款需要 1–3 个工作日到账，请耐心等待哦。"
    [sent] = fake.requests
    assert sent["model"] == "qwen-test" and sent["stream"] is False
    assert [m["role"] for m in sent["messages"]] == ["system", "user"]
    assert ANSWER in sent["messages"][1]["content"] and QUESTION in sent["messages"][1]["content"]
    assert "tools" not in sent and "functions" not in sent
    assert fake.auth_headers == ["Bearer sk-test"]


@pytest.mark.parametrize(
    "invented",
    [
        "您的订单 2026112299999 的退款 1–3 个工作日到账。",  # an order number
        "已为您退款 88 元，银行卡 1–3 个工作日到账。",  # an amount
        "已为您退款五十元，银行卡 1–3 个工作日到账。",  # an amount in words
        "补发卡密 ABCD-EFGH-JKLM-2345，银行卡 1–3 个工作日到账。",  # a card key
        "详情见 https://pay-help.example.com/refund ，银行卡 1–3 个工作日到账。",  # a link
    ],
)
def test_rephrase_refuses_output_that_adds_facts(peer: tuple[Peer, str], invented: str) -> None:
    fake, url = peer
    fake.reply = text(invented)
    assert Assistant(_backend(url)).rephrase(ANSWER, QUESTION) == ANSWER


def test_a_tool_call_in_the_reply_is_ignored(peer: tuple[Peer, str]) -> None:
    fake, url = peer
    fake.reply = tool_call("refund_order", '{"order_no": "2026112200001", "amount": "50"}')
    backend = _backend(url)
    with pytest.raises(LLMOutputRefused):
        backend.complete([ChatMessage("user", "退款")])
    assert Assistant(backend).rephrase(ANSWER, QUESTION) == ANSWER


def test_function_call_json_written_as_text_is_ignored(peer: tuple[Peer, str]) -> None:
    fake, url = peer
    fake.reply = text('{"name": "resend_card_key", "arguments": {"order_no": "2026112200001"}}')
    with pytest.raises(LLMOutputRefused):
        _backend(url).complete([ChatMessage("user", "卡密")])
    assert Assistant(_backend(url)).rephrase(ANSWER, QUESTION) == ANSWER


def test_a_500_from_the_service_falls_back_to_the_original(peer: tuple[Peer, str]) -> None:
    fake, url = peer
    fake.status = 500
    with pytest.raises(LLMUnavailable):
        _backend(url).complete([ChatMessage("user", "退款")])
    assert Assistant(_backend(url)).rephrase(ANSWER, QUESTION) == ANSWER


def test_a_slow_service_times_out_and_the_original_is_used(peer: tuple[Peer, str]) -> None:
    fake, url = peer
    fake.delay_seconds = 3.0
    started = time.monotonic()
    assert Assistant(_backend(url, timeout=0.5)).rephrase(ANSWER, QUESTION) == ANSWER
    assert time.monotonic() - started < 2.5


def test_an_unreachable_service_falls_back_to_the_original() -> None:
    from tests.support.live import free_port

    backend = _backend(f"http://127.0.0.1:{free_port()}/v1", timeout=1.0)
    assert Assistant(backend).rephrase(ANSWER, QUESTION) == ANSWER


def test_a_runaway_reply_is_not_used(peer: tuple[Peer, str]) -> None:
    fake, url = peer
    fake.reply = text("银行卡退款需要 1–3 个工作日。" * 20)
    assert Assistant(_backend(url)).rephrase(ANSWER, QUESTION) == ANSWER


def test_draft_reply_uses_only_the_facts_it_was_given(peer: tuple[Peer, str]) -> None:
    fake, url = peer
    lines = [ConversationLine("customer", "订单 2026112200001 的卡密显示已被使用")]
    facts = {"工单号": "YW20261122-0001", "工单状态": "处理中"}
    fake.reply = text(
        "您好，工单 YW20261122-0001 正在处理，我们正在核查订单 2026112200001 的卡密。"
    )
    draft = Assistant(_backend(url)).draft_reply(lines, facts)
    assert "YW20261122-0001" in draft
    fake.reply = text("您好，已为订单 2026112200001 退款 30 元。")
    with pytest.raises(LLMOutputRefused):
        Assistant(_backend(url)).draft_reply(lines, facts)


def test_the_guard_accepts_rewording_and_names_what_was_added() -> None:
    source = "订单 2026112200001 金额 50.00 元，银行卡 1–3 个工作日到账。"
    assert added_facts("订单2026112200001的50元，1-3个工作日到账", source) == []
    assert added_facts("请访问 www.example.cn 查看", source) == ["www.example.cn"]
    assert looks_like_a_call('```json\n{"tool_calls": []}\n```')
    assert not looks_like_a_call("{不是 JSON 的花括号}")
