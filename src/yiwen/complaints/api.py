"""Routes for external complaints, under /api/v1/complaints (permission ``complaint.manage``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response, UploadFile, status
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from yiwen.auth.audit import Actor
from yiwen.auth.models import StaffUser
from yiwen.complaints import csv_import, service
from yiwen.complaints.models import PLATFORMS, ExternalComplaint
from yiwen.complaints.parsing import parse_deadline, platform_code
from yiwen.complaints.schemas import (
    ComplaintForm,
    ComplaintOut,
    ComplaintPage,
    DuplicateRow,
    ImportedRow,
    ImportReportOut,
    RowErrorOut,
)
from yiwen.core.errors import TooLarge
from yiwen.http.deps import AppClock, AppSettings, DbSession, Store, require_permission
from yiwen.http.errors import error_response
from yiwen.tickets.models import Ticket

router = APIRouter(prefix="/api/v1/complaints", tags=["complaints"])

Manager = Annotated[StaffUser, Depends(require_permission("complaint.manage"))]
Id = Annotated[str, Path(max_length=32)]


def complaint_out(db: Session, complaint: ExternalComplaint, *, created: bool) -> ComplaintOut:
    ticket = db.get(Ticket, complaint.ticket_id)
    assert ticket is not None
    return ComplaintOut(
        id=complaint.id,
        platform=complaint.platform,
        platform_label=PLATFORMS.get(complaint.platform, ("", ""))[0],
        external_ref=complaint.external_ref,
        url=complaint.url,
        complainant_name=complaint.complainant_name,
        complainant_contact=complaint.complainant_contact,
        text=complaint.text,
        order_no=complaint.order_no,
        order_matched=complaint.order_matched,
        external_deadline=complaint.external_deadline,
        source=complaint.source,
        customer_id=complaint.customer_id,
        ticket_id=ticket.id,
        ticket_number=ticket.number,
        ticket_priority=ticket.priority,
        ticket_due_at=ticket.due_at,
        assignee_id=ticket.assignee_id,
        created_at=complaint.created_at,
        created=created,
    )


@router.post("", status_code=status.HTTP_201_CREATED)
def register(
    body: ComplaintForm,
    response: Response,
    db: DbSession,
    clock: AppClock,
    settings: AppSettings,
    store: Store,
    staff: Manager,
) -> ComplaintOut:
    """Register a complaint found on an outside platform; the same platform+reference again
    returns the first registration (200)."""
    new = service.NewComplaint(
        platform=platform_code(body.platform),
        external_ref=body.external_ref,
        text=body.text,
        url=body.url,
        complainant_name=body.complainant_name,
        complainant_contact=body.complainant_contact,
        order_no=body.order_no,
        external_deadline=parse_deadline(body.external_deadline)
        if body.external_deadline
        else None,
        source="form",
    )
    complaint, created = service.register_complaint(
        db, clock, settings, store, new, actor=Actor.staff(staff)
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    return complaint_out(db, complaint, created=created)


@router.post(
    "/import",
    response_model=ImportReportOut,
    responses={422: {"description": "rows with errors: nothing imported"}},
)
def import_file(
    file: UploadFile,
    request: Request,
    db: DbSession,
    clock: AppClock,
    settings: AppSettings,
    store: Store,
    staff: Manager,
) -> ImportReportOut | JSONResponse:
    """Import a CSV (UTF-8 with or without BOM, or GBK): all valid rows, or none if any is wrong."""
    data = file.file.read(csv_import.MAX_BYTES + 1)
    if len(data) > csv_import.MAX_BYTES:
        raise TooLarge(
            "complaint_csv_too_large", rows=csv_import.MAX_ROWS, mb=csv_import.MAX_BYTES // 2**20
        )
    report = csv_import.import_csv(db, clock, settings, store, data, actor=Actor.staff(staff))
    out = ImportReportOut(
        imported=[
            ImportedRow(row=row, complaint_id=c.id, ticket_number=_number(db, c))
            for row, c in report.imported
        ],
        duplicates=[
            DuplicateRow(row=row, complaint_id=cid or None) for row, cid in report.duplicates
        ],
        errors=[RowErrorOut(**vars(e)) for e in report.errors],
    )
    if report.errors:
        return error_response(
            request,
            422,
            "complaint_csv_invalid_rows",
            params={"count": len(report.errors)},
            extra={"rows": [e.model_dump() for e in out.errors]},
        )
    return out


@router.get("")
def list_complaints(
    db: DbSession,
    _: Manager,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> ComplaintPage:
    rows, next_cursor = service.list_complaints(db, cursor=cursor, limit=limit)
    return ComplaintPage(
        items=[complaint_out(db, c, created=False) for c in rows], next_cursor=next_cursor
    )


@router.get("/{complaint_id}")
def read_complaint(complaint_id: Id, db: DbSession, _: Manager) -> ComplaintOut:
    return complaint_out(db, service.get_complaint(db, complaint_id), created=False)


def _number(db: Session, complaint: ExternalComplaint) -> str:
    ticket = db.get(Ticket, complaint.ticket_id)
    return ticket.number if ticket else ""
