"""zh-CN and English texts of the LLM backend's errors."""

from __future__ import annotations

from yiwen.core.i18n import register_messages

register_messages(
    {
        "llm_disabled": (
            "未启用大模型，无法生成回复草稿（请在配置中开启 llm_enabled）",
            "The LLM is not enabled, so no draft can be written (set llm_enabled)",
        ),
        "llm_unavailable": (
            "大模型服务暂时不可用或超时，请稍后再试或直接手动回复",
            "The LLM service is unavailable or timed out; retry later or reply by hand",
        ),
        "llm_output_refused": (
            "大模型的回复包含对话中没有的信息或工具调用，已丢弃，请手动回复",
            "The LLM reply added facts or a tool call and was discarded; please reply by hand",
        ),
    }
)
