"""The bot answers customers through the public conversation API, before any human."""

from __future__ import annotations

from tests.bot.conftest import Chat


def test_a_new_conversation_starts_with_the_bot_and_gets_a_bot_reply(start_chat) -> None:
    chat: Chat = start_chat()
    assert chat.status() == "bot"
    replies = chat.say("你好，在吗")
    assert replies and "智能客服" in replies[0]
