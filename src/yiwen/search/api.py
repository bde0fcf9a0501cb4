"""Staff search: ``GET /api/v1/search?q=`` over messages and tickets."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from yiwen.auth.models import StaffUser
from yiwen.http.deps import DbSession, require_permission
from yiwen.search import service
from yiwen.search.terms import query_terms

router = APIRouter(prefix="/api/v1", tags=["search"])

InboxReader = Annotated[StaffUser, Depends(require_permission("inbox.read"))]


class SearchHitOut(BaseModel):
    kind: Literal["message", "ticket"]
    conversation_id: str | None
    channel: str | None
    customer_id: str | None
    created_at: datetime
    snippet: str
    message_id: int | None
    sender_type: str | None
    visibility: str | None
    ticket_id: str | None
    ticket_number: str | None
    ticket_status: str | None


class SearchPage(BaseModel):
    terms: list[str]
    items: list[SearchHitOut]
    next_before: int | None


@router.get("/search", response_model=SearchPage)
def search(
    db: DbSession,
    _user: InboxReader,
    q: Annotated[str, Query(max_length=200)],
    kind: Literal["message", "ticket"] | None = None,
    before: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> SearchPage:
    """Messages (notes included) and tickets holding every word of ``q``, newest first."""
    hits, next_before = service.search(db, q, kind=kind, before=before, limit=limit)
    return SearchPage(
        terms=query_terms(q),
        items=[SearchHitOut(**{k: getattr(h, k) for k in SearchHitOut.model_fields}) for h in hits],
        next_before=next_before,
    )
