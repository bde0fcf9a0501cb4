"""API shapes of tickets on the customer side."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from yiwen.conversations.schemas import ClientMsgId, ConversationOut
from yiwen.core.clock import SHANGHAI

PaymentMethodName = Literal["alipay", "wechat", "qq_wallet", "bank_card", "balance", "usdt"]
# Blank text is no description: it is stripped before its length is checked.
FormText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]
OrderNo = Field(default=None, min_length=4, max_length=64, pattern=r"^[A-Za-z0-9_\-]+$")


class TicketFormIn(BaseModel):
    """The structured ticket form: problem type → key facts → what the customer wants."""

    model_config = ConfigDict(extra="forbid")

    category: str = Field(max_length=40)
    description: FormText
    demand: Literal["resend", "refund", "explain", "other"]
    order_no: str | None = OrderNo
    paid_at: datetime | None = None
    amount: Decimal | None = Field(default=None, gt=0, le=1_000_000, decimal_places=2)
    payment_method: PaymentMethodName | None = None
    contact: str | None = Field(default=None, max_length=100)
    urgent: bool = False
    evidence_ids: list[str] = Field(default_factory=list, max_length=9)
    conversation_id: str | None = Field(default=None, max_length=32)
    submission_key: str | None = Field(default=None, min_length=8, max_length=64)

    @field_validator("paid_at")
    @classmethod
    def _paid_at_in_shanghai(cls, value: datetime | None) -> datetime | None:
        """A time typed without an offset is the customer's wall clock, i.e. Asia/Shanghai."""
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=SHANGHAI)
        return value


class TimelineEntry(BaseModel):
    at: str | None
    kind: str
    actor_type: str
    actor_name: str | None
    text: str


class Rating(BaseModel):
    score: int
    comment: str


class TicketPublic(BaseModel):
    """A ticket as its customer sees it."""

    number: str
    status: str
    stage: Literal["pending", "in_progress", "done"]
    status_label: str
    category: str
    category_label: str
    subject: str
    priority: str
    urgent: bool
    handler: str | None
    created_at: str | None
    first_response_due_at: str | None
    promised_at: str | None
    resolved_at: str | None
    resolution_note: str | None
    order_nos: list[str]
    conversation_id: str | None
    can_rate: bool
    rating: Rating | None
    can_reopen: bool
    timeline: list[TimelineEntry]


class TicketSubmitted(BaseModel):
    ticket: TicketPublic
    conversation: ConversationOut
    token: str | None = Field(description="新会话的凭证（若本次提交新建了会话）")


class TrackRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    number: str = Field(min_length=5, max_length=32)
    contact: str = Field(min_length=3, max_length=100)


class CustomerReply(BaseModel):
    model_config = ConfigDict(extra="forbid")

    client_msg_id: str = ClientMsgId
    body: str = Field(default="", max_length=20000)
    attachment_ids: list[str] = Field(default_factory=list, max_length=9)


class ReopenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(default="", max_length=1000)


class RatingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    score: int = Field(ge=1, le=5)
    comment: str = Field(default="", max_length=1000)


class TicketList(BaseModel):
    items: list[TicketPublic]
