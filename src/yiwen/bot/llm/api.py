"""``POST /api/v1/inbox/conversations/{id}/draft``: a reply drafted by the LLM for an agent."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel

from yiwen.auth.models import StaffUser
from yiwen.auth.permissions import INBOX_READ
from yiwen.bot.llm.drafting import draft_context
from yiwen.bot.llm.protocol import LLMOutputRefused, LLMUnavailable
from yiwen.bot.llm.service import assistant
from yiwen.http.deps import AppSettings, DbSession, require_permission

router = APIRouter(prefix="/api/v1/inbox", tags=["workspace"])

InboxReader = Annotated[StaffUser, Depends(require_permission(INBOX_READ))]


class DraftOut(BaseModel):
    draft: str
    model: str


@router.post("/conversations/{conversation_id}/draft")
def draft(
    conversation_id: str, db: DbSession, settings: AppSettings, agent: InboxReader
) -> DraftOut:
    """A suggested reply for the agent to edit; nothing is sent or done on its own."""
    helper = assistant(settings)
    lines, facts = draft_context(db, conversation_id)
    # The model may take llm_timeout_seconds; the request's transaction (a write
    # lock on SQLite) must not be held that long, and nothing was written.
    db.commit()
    try:
        text = helper.draft_reply(lines, facts)
    except LLMUnavailable as exc:
        raise HTTPException(status_code=503, detail="llm_unavailable") from exc
    except LLMOutputRefused as exc:
        raise HTTPException(status_code=503, detail="llm_output_refused") from exc
    model = helper.backend.model if helper.backend is not None else ""
    return DraftOut(draft=text, model=model)
