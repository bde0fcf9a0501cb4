"""The customer side of tickets: the structured form, tracking, replies, reopen and rating."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response, status
from sqlalchemy.orm import Session

from yiwen.auth.audit import Actor
from yiwen.conversations.schemas import ConversationOut, MessageOut
from yiwen.core.i18n import pick_language
from yiwen.http.deps import (
    AppClock,
    AppSettings,
    CurrentCustomer,
    DbSession,
    OptionalCustomer,
    Store,
)
from yiwen.http.ratelimit import limit_by_client
from yiwen.sla import closing
from yiwen.tickets import intake, service
from yiwen.tickets.models import Ticket
from yiwen.tickets.schemas import (
    CustomerReply,
    RatingIn,
    ReopenRequest,
    TicketFormIn,
    TicketList,
    TicketPublic,
    TicketSubmitted,
    TrackRequest,
)
from yiwen.tickets.views import public_view

router = APIRouter(prefix="/api/v1/customer", tags=["customer"])
TrackLimit = Depends(limit_by_client(limit=20, window_seconds=60))


def _view(request: Request, db: Session, ticket: Ticket) -> TicketPublic:
    language = pick_language(request.headers.get("accept-language"))
    return TicketPublic.model_validate(public_view(db, ticket, language))


@router.post("/tickets", status_code=status.HTTP_201_CREATED)
def submit_ticket(
    form: TicketFormIn,
    request: Request,
    response: Response,
    db: DbSession,
    clock: AppClock,
    settings: AppSettings,
    store: Store,
    who: OptionalCustomer,
) -> TicketSubmitted:
    """Open a ticket from the structured form. Without a token a new conversation is started
    and its token returned. Resubmitting the same ``submission_key`` returns the first ticket."""
    submitted = intake.submit_ticket_form(
        db,
        clock,
        store,
        who,
        intake.TicketForm(
            category=form.category,
            description=form.description,
            demand=form.demand,
            order_no=form.order_no,
            paid_at=form.paid_at,
            amount=form.amount,
            payment_method=form.payment_method,
            contact=form.contact,
            urgent=form.urgent,
            evidence_ids=tuple(form.evidence_ids),
            submission_key=form.submission_key,
        ),
        conversation_id=form.conversation_id,
        prefix=settings.ticket_number_prefix,
        max_chars=settings.message_max_chars,
    )
    if not submitted.created:
        response.status_code = status.HTTP_200_OK
    return TicketSubmitted(
        ticket=_view(request, db, submitted.ticket),
        conversation=ConversationOut.model_validate(submitted.conversation),
        token=submitted.token,
    )


@router.get("/tickets")
def my_tickets(request: Request, db: DbSession, who: CurrentCustomer) -> TicketList:
    return TicketList(items=[_view(request, db, t) for t in intake.tickets_of(db, who)])


@router.get("/tickets/{number}")
def my_ticket(number: str, request: Request, db: DbSession, who: CurrentCustomer) -> TicketPublic:
    return _view(request, db, intake.get_ticket_for(db, who, number))


@router.post("/tickets/track", dependencies=[TrackLimit])
def track(body: TrackRequest, request: Request, db: DbSession) -> TicketPublic:
    """Track a ticket with its number and the phone or email given on it (no token needed)."""
    return _view(request, db, intake.track_ticket(db, body.number, body.contact))


@router.post("/tickets/{number}/replies", status_code=status.HTTP_201_CREATED)
def reply(
    number: str,
    body: CustomerReply,
    response: Response,
    db: DbSession,
    clock: AppClock,
    settings: AppSettings,
    who: CurrentCustomer,
) -> MessageOut:
    ticket = intake.get_ticket_for(db, who, number)
    message, created = intake.customer_reply(
        db,
        clock,
        ticket,
        body=body.body,
        client_msg_id=body.client_msg_id,
        attachment_ids=body.attachment_ids,
        max_chars=settings.message_max_chars,
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    return MessageOut.model_validate(message)


@router.post("/tickets/{number}/reopen")
def reopen(
    number: str,
    body: ReopenRequest,
    request: Request,
    db: DbSession,
    clock: AppClock,
    settings: AppSettings,
    who: CurrentCustomer,
) -> TicketPublic:
    """Reopen a resolved ticket, or a closed one within the reopen window (else 409)."""
    ticket = intake.get_ticket_for(db, who, number)
    closing.reopen_by_customer(
        db, clock, settings, ticket, actor=Actor.customer(who.customer_id), reason=body.reason
    )
    return _view(request, db, ticket)


@router.post("/tickets/{number}/rating", status_code=status.HTTP_201_CREATED)
def rate(
    number: str,
    body: RatingIn,
    request: Request,
    db: DbSession,
    clock: AppClock,
    who: CurrentCustomer,
) -> TicketPublic:
    """Rate the resolution 1–5 with an optional comment; once per resolution."""
    ticket = intake.get_ticket_for(db, who, number)
    service.rate_ticket(
        db,
        clock,
        ticket,
        score=body.score,
        comment=body.comment,
        actor=Actor.customer(who.customer_id),
    )
    return _view(request, db, ticket)
