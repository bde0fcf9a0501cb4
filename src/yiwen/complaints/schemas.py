"""API shapes of external complaints."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class ComplaintForm(BaseModel):
    """What staff copy from the platform's page."""

    model_config = ConfigDict(extra="forbid")
    platform: str = Field(
        max_length=30, description="12315 | heimao | app_store | other（或中文名）"
    )
    external_ref: str = Field(min_length=1, max_length=200, description="平台上的投诉编号或链接")
    url: str | None = Field(default=None, max_length=500)
    complainant_name: str | None = Field(default=None, max_length=100)
    complainant_contact: str | None = Field(default=None, max_length=200)
    text: str = Field(min_length=1, max_length=5000)
    order_no: str | None = Field(default=None, max_length=64)
    external_deadline: str | None = Field(
        default=None, max_length=40, description="ISO 8601 或 2026-11-30 18:00（北京时间）"
    )


class ComplaintOut(BaseModel):
    id: str
    platform: str
    platform_label: str
    external_ref: str
    url: str | None
    complainant_name: str | None
    complainant_contact: str | None
    text: str
    order_no: str | None
    order_matched: bool
    external_deadline: datetime | None
    source: str
    customer_id: str
    ticket_id: str
    ticket_number: str
    ticket_priority: str
    ticket_due_at: datetime | None
    assignee_id: str | None
    created_at: datetime
    created: bool = Field(description="false when this platform+reference was registered before")


class ComplaintPage(BaseModel):
    items: list[ComplaintOut]
    next_cursor: str | None


class ImportedRow(BaseModel):
    row: int
    complaint_id: str
    ticket_number: str


class DuplicateRow(BaseModel):
    row: int
    complaint_id: str | None


class RowErrorOut(BaseModel):
    row: int
    column: str
    code: str
    message: str


class ImportReportOut(BaseModel):
    imported: list[ImportedRow]
    duplicates: list[DuplicateRow]
    errors: list[RowErrorOut]
