"""API shapes of the agent workspace."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from yiwen.channels.windows import ReplyWindowOut
from yiwen.conversations.schemas import AttachmentOut, ConversationOut, MessageOut

OrderNoField = Field(min_length=4, max_length=64, pattern=r"^[A-Za-z0-9_\-]+$")


class TicketOut(BaseModel):
    id: str
    number: str
    customer_id: str
    conversation_id: str | None
    channel: str
    category: str
    priority: str
    urgent: bool
    status: str
    subject: str
    description: str
    demand: str | None
    key_info: dict[str, Any]
    contact: str | None
    assignee_id: str | None
    first_response_due_at: datetime | None
    due_at: datetime | None
    first_response_at: datetime | None
    resolved_at: datetime | None
    resolution_note: str | None
    closed_at: datetime | None
    created_at: datetime
    updated_at: datetime

    model_config = ConfigDict(from_attributes=True)


class TicketPage(BaseModel):
    items: list[TicketOut]
    next_cursor: str | None


class InboxTicket(BaseModel):
    """The conversation's latest open ticket, enough for the inbox row's badges."""

    id: str
    number: str
    subject: str
    category: str
    priority: str
    urgent: bool
    status: str
    first_response_due_at: datetime | None
    first_response_at: datetime | None
    due_at: datetime | None

    model_config = ConfigDict(from_attributes=True)


class InboxConversationOut(ConversationOut):
    ticket: InboxTicket | None = None
    customer_name: str | None = None  # the row's title; long names are cut by the console


class ConversationPage(BaseModel):
    items: list[InboxConversationOut]
    next_cursor: str | None


class EventOut(BaseModel):
    id: int
    kind: str
    visibility: str
    actor_type: str
    actor_id: str | None
    actor_name: str | None
    body: str
    data: dict[str, Any]
    at: datetime

    model_config = ConfigDict(from_attributes=True)


class TicketDetail(BaseModel):
    ticket: TicketOut
    order_nos: list[str]
    timeline: list[EventOut]
    evidence: list[AttachmentOut]
    assignee_name: str | None


class ConversationDetail(BaseModel):
    conversation: ConversationOut
    messages: list[MessageOut]
    next_cursor: int | None
    tickets: list[TicketOut]
    # WeChat / WeCom: whether the platform still takes replies, and until when.
    channel_window: ReplyWindowOut | None = None
    # Files the customer uploaded here or as evidence on its tickets (the portal form).
    evidence: list[AttachmentOut] = []


class StaffReply(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: str = Field(min_length=1, max_length=20000)


class ConversationReply(StaffReply):
    visibility: Literal["public", "internal"] = "public"


class TicketPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: str | None = Field(default=None, max_length=30)
    priority: str | None = Field(default=None, max_length=10)
    category: str | None = Field(default=None, max_length=40)


class NewStaffTicket(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category: str = Field(max_length=40)
    subject: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=5000)
    priority: str | None = Field(default=None, max_length=10)
    urgent: bool = False
    order_nos: list[str] = Field(default_factory=list, max_length=10)


class AssignRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    agent_id: str | None = Field(default=None, max_length=32)
    note: str = Field(default="", max_length=1000)


class ResolveRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str = Field(min_length=1, max_length=5000)


class ReopenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(default="", max_length=1000)


class LinkOrder(BaseModel):
    model_config = ConfigDict(extra="forbid")

    order_no: str = OrderNoField


class OrderActionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: Literal[
        "resend_delivery",
        "repush_upstream",
        "refund",
        "issue_coupon",
        "freeze_account",
        "unfreeze_account",
        "replace_card_key",
    ]
    order_no: str | None = Field(
        default=None, min_length=4, max_length=64, pattern=r"^[A-Za-z0-9_\-]+$"
    )
    amount: Decimal | None = Field(default=None, gt=0, le=1_000_000, decimal_places=2)
    reason: str = Field(default="", max_length=1000)
    shop_user_id: str | None = Field(default=None, max_length=64)
    key_id: str | None = Field(default=None, max_length=200, description="要更换的原卡密")


class OrderActionOut(BaseModel):
    id: str
    action: str
    order_no: str | None
    amount: Decimal | None
    status: str
    reference: str
    replayed: bool
    created_at: datetime


class RevealRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ticket_id: str | None = Field(default=None, max_length=32)
    reason: str = Field(min_length=2, max_length=500)


class RevealedKey(BaseModel):
    key_id: str
    card_key: str


class MacroIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=100)
    body: str = Field(min_length=1, max_length=5000)
    category: str | None = Field(default=None, max_length=40)


class MacroPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, min_length=1, max_length=100)
    body: str | None = Field(default=None, min_length=1, max_length=5000)
    category: str | None = Field(default=None, max_length=40)
    is_active: bool | None = None

    @field_validator("title", "body", "is_active")
    @classmethod
    def _not_blanked(cls, value: object) -> object:
        """Left out means unchanged; an explicit null would blank a required column."""
        if value is None:
            raise ValueError("may be left out but not null")
        return value


class MacroOut(BaseModel):
    id: str
    title: str
    body: str
    category: str | None
    is_active: bool

    model_config = ConfigDict(from_attributes=True)


class RenderRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ticket_id: str | None = Field(default=None, max_length=32)


class Rendered(BaseModel):
    text: str


class AgentOut(BaseModel):
    id: str
    display_name: str
    role: str

    model_config = ConfigDict(from_attributes=True)
