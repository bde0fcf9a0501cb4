"""The two things the LLM may do: reword a bot answer, and draft a reply for an agent.

Both hand the model only text we already hold and check what comes back with
the fact guard. ``rephrase`` can never fail its caller: on any problem the
customer gets the original answer. ``draft_reply`` is for a person who asked
for a draft, so it says clearly when there is none.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from yiwen.bot.llm import messages as _messages  # noqa: F401  (registers the error texts)
from yiwen.bot.llm.guard import added_facts
from yiwen.bot.llm.protocol import ChatBackend, ChatMessage, LLMError, LLMOutputRefused
from yiwen.bot.llm.registry import build_backend
from yiwen.core.errors import Conflict
from yiwen.core.settings import Settings

log = logging.getLogger("yiwen.bot.llm")

REPHRASE_PROMPT = (
    "你是一家虚拟商品店铺的客服助手。请把【标准答复】改写成更自然、贴合【顾客消息】的中文回复，"
    "语气友好、简洁，不超过标准答复的长度太多。只能使用标准答复里已有的事实："
    "不得添加或改动任何订单号、金额、时间、卡密、链接、承诺或操作结果。只输出改写后的回复正文。"
)
DRAFT_PROMPT = (
    "你是一家虚拟商品店铺的资深客服，请为客服同事起草一条发给顾客的中文回复。"
    "只能使用【对话记录】和【工单信息】中出现的事实，不得编造订单号、金额、时间、卡密、链接，"
    "也不得声称已经退款、补发或冻结，除非工单信息写明已完成。信息不足时请礼貌地向顾客询问。"
    "只输出回复正文，不要调用任何工具或函数。"
)
SPEAKERS = {"customer": "顾客", "agent": "客服", "bot": "机器人", "system": "系统"}
LINE_CHARS = 500


@dataclass(frozen=True)
class ConversationLine:
    sender_type: str
    body: str


class Assistant:
    def __init__(self, backend: ChatBackend | None) -> None:
        self.backend = backend

    @property
    def enabled(self) -> bool:
        return self.backend is not None

    def rephrase(self, answer_text: str, customer_message: str) -> str:
        """A friendlier wording of ``answer_text``, or ``answer_text`` itself on any doubt."""
        if self.backend is None or not answer_text.strip():
            return answer_text
        prompt = [
            ChatMessage("system", REPHRASE_PROMPT),
            ChatMessage("user", f"【顾客消息】\n{customer_message}\n\n【标准答复】\n{answer_text}"),
        ]
        try:
            text = self.backend.complete(prompt)
            _check(text, answer_text, customer_message)
            # Nor may it drop one: a reply without its ticket number or amount misleads too.
            dropped = added_facts(answer_text, text)
            if dropped:
                raise LLMOutputRefused(f"dropped {len(dropped)} fact(s)")
        except LLMError as exc:
            log.info("rephrase fell back to the original answer: %s", exc)
            return answer_text
        if len(text) > max(2 * len(answer_text), len(answer_text) + 80):
            log.info("rephrase fell back to the original answer: too long")
            return answer_text
        return text

    def draft_reply(self, lines: Sequence[ConversationLine], facts: Mapping[str, str]) -> str:
        """A reply for an agent to edit and send; raises when the LLM is off or fails."""
        if self.backend is None:
            raise Conflict("llm_disabled")
        transcript = "\n".join(
            f"{SPEAKERS.get(line.sender_type, line.sender_type)}：{line.body[:LINE_CHARS]}"
            for line in lines
        )
        known = "\n".join(f"{key}：{value}" for key, value in facts.items()) or "（无）"
        prompt = [
            ChatMessage("system", DRAFT_PROMPT),
            ChatMessage("user", f"【工单信息】\n{known}\n\n【对话记录】\n{transcript}"),
        ]
        text = self.backend.complete(prompt)
        _check(text, transcript, known)
        return text


def _check(output: str, *sources: str) -> None:
    added = added_facts(output, *sources)
    if added:
        log.warning("llm output dropped: it added %d fact(s) not in its input", len(added))
        raise LLMOutputRefused("added facts")


def assistant(settings: Settings) -> Assistant:
    return Assistant(build_backend(settings))
