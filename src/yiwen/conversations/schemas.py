"""API shapes of conversations and messages."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

ClientMsgId = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:\-]+$")


class StartConversation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channel: Literal["web", "api"] = "web"
    display_name: str | None = Field(default=None, max_length=50)
    contact: str | None = Field(default=None, max_length=100, description="手机号或邮箱")


class ConversationOut(BaseModel):
    id: str
    customer_id: str
    channel: str
    status: str
    assignee_id: str | None
    last_message_at: datetime
    last_message_preview: str
    unread_for_staff: int
    created_at: datetime

    model_config = ConfigDict(from_attributes=True)


class ConversationStarted(BaseModel):
    conversation: ConversationOut
    token: str = Field(description="会话凭证：保存好，之后用它读取和发送消息")


class PostMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    client_msg_id: str = ClientMsgId
    body: str = Field(default="", max_length=20000)
    attachment_ids: list[str] = Field(default_factory=list, max_length=9)


class MessageOut(BaseModel):
    id: int
    conversation_id: str
    sender_type: str
    sender_name: str | None
    body: str
    visibility: str
    client_msg_id: str | None
    attachment_ids: list[str]
    ticket_id: str | None
    created_at: datetime

    model_config = ConfigDict(from_attributes=True)


class MessagePage(BaseModel):
    items: list[MessageOut]
    next_cursor: int | None


class AttachmentOut(BaseModel):
    id: str
    filename: str
    content_type: str
    size: int
    created_at: datetime

    model_config = ConfigDict(from_attributes=True)
