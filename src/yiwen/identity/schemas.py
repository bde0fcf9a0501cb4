"""API shapes of identity linking: the customer's proofs and the console's identity view."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class StartVerification(BaseModel):
    model_config = ConfigDict(extra="forbid")
    contact: str = Field(min_length=3, max_length=200, description="手机号或邮箱")


class VerificationStarted(BaseModel):
    id: str
    channel: str
    masked_target: str
    expires_at: datetime
    resend_after: datetime


class ConfirmVerification(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(min_length=1, max_length=12)


class OrderProof(BaseModel):
    model_config = ConfigDict(extra="forbid")
    order_no: str = Field(min_length=1, max_length=64)
    contact: str = Field(min_length=3, max_length=200)


class ShopTokenProof(BaseModel):
    model_config = ConfigDict(extra="forbid")
    token: str = Field(min_length=5, max_length=400)


class LinkedOut(BaseModel):
    """What the customer learns: the identity is linked, and whether records were merged."""

    channel: str
    verified: bool
    merged: bool


class IdentityOut(BaseModel):
    id: str
    channel: str
    external_id: str
    verified: bool
    source: str = Field(description="channel | code | order_contact | shop_token | unverified")
    reference: str | None
    verified_at: datetime | None
    merge_id: str | None = Field(description="the standing merge that brought this identity")
    created_at: datetime


class MergeOut(BaseModel):
    id: str
    survivor_id: str
    absorbed_id: str
    source: str
    trigger_identity_id: str
    identity_ids: list[str]
    moved: dict[str, int]
    created_at: datetime
    undone_at: datetime | None


class CustomerIdentities(BaseModel):
    customer_id: str
    merged_into: str | None
    identities: list[IdentityOut]
    merges: list[MergeOut]


class UnlinkIdentity(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(default="", max_length=500)


class UnlinkedOut(BaseModel):
    identity_id: str
    customer_id: str
    merge_undone: str | None
    returned: dict[str, int]


class HistoryConversation(BaseModel):
    id: str
    channel: str
    channel_account_id: str | None
    status: str
    created_at: datetime
    last_message_at: datetime

    model_config = ConfigDict(from_attributes=True)


class HistoryMessage(BaseModel):
    id: int
    conversation_id: str
    sender_type: str
    sender_name: str | None
    body: str
    visibility: str
    created_at: datetime

    model_config = ConfigDict(from_attributes=True)


class CustomerHistory(BaseModel):
    """Every conversation of the customer on every channel, and their messages in order."""

    customer_id: str
    conversations: list[HistoryConversation]
    messages: list[HistoryMessage]
    next_cursor: int | None
