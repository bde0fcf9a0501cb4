"""API shapes of announcements, their notice figures and customers' notice preferences."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class AnnouncementForm(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=100, description="如：速充科技充值延迟")
    body: str = Field(min_length=1, max_length=1000, description="如：预计30分钟内恢复")
    scope: str = Field(
        default="all", max_length=12, description="all | supplier | product | category"
    )
    scope_value: str | None = Field(
        default=None, max_length=64, description="供应商名称、商品编号或 card_key / direct_topup"
    )
    keywords: list[str] = Field(default_factory=list, max_length=20)
    order_nos: list[str] = Field(default_factory=list, max_length=500)
    incident_id: str | None = Field(default=None, max_length=32)
    starts_at: datetime | None = Field(default=None, description="不带时区时按北京时间")
    ends_at: datetime | None = None
    resolution_text: str = Field(default="", max_length=500)


class CloseForm(BaseModel):
    model_config = ConfigDict(extra="forbid")
    resolution_text: str = Field(default="", max_length=500)


class NoticeCountsOut(BaseModel):
    sent: int
    skipped_opt_out: int
    unreachable: int
    failed: int
    fixed_sent: int
    repushed: int
    review: int


class AnnouncementOut(BaseModel):
    id: str
    title: str
    body: str
    scope: str
    scope_value: str | None
    keywords: list[str]
    order_nos: list[str]
    incident_id: str | None
    status: str
    shown: bool = Field(description="whether the banner shows it now")
    starts_at: datetime
    ends_at: datetime | None
    resolution_text: str
    notices_requested_at: datetime | None
    notices_done_at: datetime | None
    closed_at: datetime | None
    close_done_at: datetime | None
    created_at: datetime
    counts: NoticeCountsOut


class AnnouncementPage(BaseModel):
    items: list[AnnouncementOut]
    next_cursor: str | None


class PublicAnnouncement(BaseModel):
    """What the widget and the portal show: plain text, rendered inert by the client."""

    id: str
    title: str
    body: str
    starts_at: datetime
    ends_at: datetime | None


class PublicAnnouncements(BaseModel):
    items: list[PublicAnnouncement]


class NoticePreference(BaseModel):
    model_config = ConfigDict(extra="forbid")
    proactive_notices: bool = Field(description="false：不接收公告类主动通知（退订）")
