"""Staff routes for the inbox, conversations and tickets."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Query, WebSocket, status
from fastapi.responses import FileResponse
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from yiwen.attachments.models import Attachment
from yiwen.attachments.service import get_attachment
from yiwen.auth.audit import Actor
from yiwen.auth.models import StaffUser
from yiwen.auth.permissions import check_permission, has_permission
from yiwen.auth.service import resolve_session
from yiwen.channels.windows import reply_window
from yiwen.conversations import service as conversations
from yiwen.conversations.models import Conversation
from yiwen.conversations.realtime import STAFF_TOPIC, RealtimeHub
from yiwen.conversations.schemas import AttachmentOut, ConversationOut, MessageOut
from yiwen.core.cursor import decode_cursor, encode_cursor
from yiwen.core.db import Database
from yiwen.core.errors import DomainError, Gone, InvalidInput, NotFound
from yiwen.customers.models import Customer
from yiwen.http.deps import AppClock, AppSettings, DbSession, Store, require_permission
from yiwen.http.files import attachment_response
from yiwen.http.websocket import stream_topic
from yiwen.tickets import service as tickets
from yiwen.tickets.models import Ticket
from yiwen.tickets.status import OPEN_STATUSES, STATUSES
from yiwen.tickets.views import handler_name
from yiwen.workspace import service
from yiwen.workspace.collision import PresenceRelay
from yiwen.workspace.schemas import (
    AssignRequest,
    ConversationDetail,
    ConversationPage,
    ConversationReply,
    EventOut,
    InboxConversationOut,
    InboxTicket,
    LinkOrder,
    NewStaffTicket,
    ReopenRequest,
    ResolveRequest,
    StaffReply,
    TicketDetail,
    TicketOut,
    TicketPage,
    TicketPatch,
)

router = APIRouter(prefix="/api/v1", tags=["workspace"])

InboxReader = Annotated[StaffUser, Depends(require_permission("inbox.read"))]
TicketReader = Annotated[StaffUser, Depends(require_permission("ticket.read"))]
Replier = Annotated[StaffUser, Depends(require_permission("ticket.reply"))]
NoteTaker = Annotated[StaffUser, Depends(require_permission("ticket.note"))]
Updater = Annotated[StaffUser, Depends(require_permission("ticket.update"))]
Resolver = Annotated[StaffUser, Depends(require_permission("ticket.resolve"))]
View = Literal["all", "mine", "unassigned"]
# A promise due within this window (or already missed) puts a conversation "at risk".
AT_RISK_WINDOW = timedelta(minutes=30)
Limit = Annotated[int, Query(ge=1, le=100)]
EVIDENCE_LIMIT = 100


@router.get("/tickets")
def list_tickets(
    db: DbSession,
    agent: InboxReader,
    view: View = "all",
    status_: Annotated[list[str] | None, Query(alias="status")] = None,
    category: Annotated[str | None, Query(max_length=40)] = None,
    priority: Literal["low", "normal", "high", "urgent"] | None = None,
    queue: Annotated[str | None, Query(max_length=40)] = None,
    urgent: bool | None = None,
    open_only: bool = False,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Limit = 50,
) -> TicketPage:
    """The ticket inbox, newest activity first, paginated by cursor."""
    statuses = tuple(status_ or ())
    for value in statuses:
        if value not in STATUSES:
            raise InvalidInput("invalid_request", detail="status")
    filters = tickets.TicketFilter(
        assignee_id=agent.id if view == "mine" else None,
        unassigned=view == "unassigned",
        statuses=statuses,
        category=category,
        priority=priority,
        queue=queue,
        urgent=urgent,
        open_only=open_only,
    )
    rows, next_cursor = tickets.list_tickets(db, filters, cursor=cursor, limit=limit)
    return TicketPage(items=[TicketOut.model_validate(t) for t in rows], next_cursor=next_cursor)


@router.get("/tickets/{ticket_id}")
def read_ticket(ticket_id: str, db: DbSession, agent: TicketReader) -> TicketDetail:
    return _detail(db, tickets.get_ticket(db, ticket_id))


@router.patch("/tickets/{ticket_id}")
def update_ticket(
    ticket_id: str, body: TicketPatch, db: DbSession, clock: AppClock, agent: Updater
) -> TicketDetail:
    """Change status (only along allowed transitions), priority or category."""
    ticket = tickets.get_ticket(db, ticket_id)
    actor = Actor.staff(agent)
    tickets.update_fields(
        db, clock, ticket, actor=actor, priority=body.priority, category=body.category
    )
    if body.status is not None:
        service.change_ticket_status(db, clock, ticket, body.status, actor=actor)
    return _detail(db, ticket)


@router.post("/tickets/{ticket_id}/replies", status_code=status.HTTP_201_CREATED)
def reply(
    ticket_id: str,
    body: StaffReply,
    db: DbSession,
    clock: AppClock,
    settings: AppSettings,
    agent: Replier,
) -> MessageOut:
    ticket = tickets.get_ticket(db, ticket_id)
    message = service.reply_to_ticket(
        db, clock, ticket, agent, body.body, max_chars=settings.message_max_chars
    )
    return MessageOut.model_validate(message)


@router.post("/tickets/{ticket_id}/notes", status_code=status.HTTP_201_CREATED)
def note(
    ticket_id: str,
    body: StaffReply,
    db: DbSession,
    clock: AppClock,
    settings: AppSettings,
    agent: NoteTaker,
) -> TicketDetail:
    ticket = tickets.get_ticket(db, ticket_id)
    service.add_internal_note(
        db, clock, ticket, agent, body.body, max_chars=settings.message_max_chars
    )
    return _detail(db, ticket)


@router.post("/tickets/{ticket_id}/assign")
def assign(
    ticket_id: str, body: AssignRequest, db: DbSession, clock: AppClock, agent: Replier
) -> TicketDetail:
    """Take a ticket (``agent_id`` = yourself) or give it to someone (needs ticket.assign)."""
    ticket = tickets.get_ticket(db, ticket_id)
    if body.agent_id != agent.id:
        check_permission(agent.role, "ticket.assign")
    target = _active_agent(db, body.agent_id) if body.agent_id else None
    tickets.assign_ticket(
        db,
        clock,
        ticket,
        assignee_id=target.id if target else None,
        assignee_name=target.display_name if target else None,
        actor=Actor.staff(agent),
        note=body.note,
    )
    return _detail(db, ticket)


@router.post("/tickets/{ticket_id}/transfer")
def transfer(
    ticket_id: str,
    body: AssignRequest,
    db: DbSession,
    clock: AppClock,
    agent: Annotated[StaffUser, Depends(require_permission("ticket.transfer"))],
) -> TicketDetail:
    """Hand the ticket to another agent with a note; the conversation follows it."""
    ticket = tickets.get_ticket(db, ticket_id)
    if body.agent_id is None:
        raise InvalidInput("assignee_not_found")
    target = _active_agent(db, body.agent_id)
    tickets.assign_ticket(
        db,
        clock,
        ticket,
        assignee_id=target.id,
        assignee_name=target.display_name,
        actor=Actor.staff(agent),
        note=body.note,
    )
    if ticket.conversation_id:
        conversations.get_conversation(db, ticket.conversation_id).assignee_id = target.id
    return _detail(db, ticket)


@router.post("/tickets/{ticket_id}/resolve")
def resolve(
    ticket_id: str,
    body: ResolveRequest,
    db: DbSession,
    clock: AppClock,
    settings: AppSettings,
    agent: Resolver,
) -> TicketDetail:
    """Resolve with a note; the customer is asked to rate the resolution."""
    ticket = tickets.get_ticket(db, ticket_id)
    service.resolve_with_invitation(
        db, clock, ticket, agent, body.note, max_chars=settings.message_max_chars
    )
    return _detail(db, ticket)


@router.post("/tickets/{ticket_id}/reopen")
def reopen(
    ticket_id: str, body: ReopenRequest, db: DbSession, clock: AppClock, agent: Updater
) -> TicketDetail:
    ticket = tickets.get_ticket(db, ticket_id)
    tickets.reopen_ticket(db, clock, ticket, actor=Actor.staff(agent), reason=body.reason)
    return _detail(db, ticket)


@router.post("/tickets/{ticket_id}/orders")
def link_order(
    ticket_id: str,
    body: LinkOrder,
    db: DbSession,
    clock: AppClock,
    store: Store,
    agent: Updater,
) -> TicketDetail:
    ticket = tickets.get_ticket(db, ticket_id)
    order = store.get_order(body.order_no)
    tickets.link_order(db, clock, ticket, order.order_no, actor=Actor.staff(agent))
    return _detail(db, ticket)


@router.get("/inbox/conversations")
def inbox_conversations(
    db: DbSession,
    agent: InboxReader,
    view: View = "all",
    status_: Annotated[
        Literal["bot", "waiting", "open", "resolved", "closed"] | None, Query(alias="status")
    ] = None,
    urgent: bool = False,
    at_risk: bool = False,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Limit = 50,
    *,
    clock: AppClock,
) -> ConversationPage:
    """Conversations across channels, latest message first, each with its open ticket.

    ``urgent`` keeps conversations whose open ticket is urgent; ``at_risk`` those whose
    next promise (first response, then resolution) falls within 30 minutes or is missed.
    """
    query = select(Conversation)
    if urgent:
        query = query.where(
            Conversation.id.in_(
                select(Ticket.conversation_id).where(
                    Ticket.status.in_(OPEN_STATUSES),
                    or_(Ticket.urgent.is_(True), Ticket.priority == "urgent"),
                )
            )
        )
    if at_risk:
        horizon = clock.now() + AT_RISK_WINDOW
        query = query.where(
            Conversation.id.in_(
                select(Ticket.conversation_id).where(
                    Ticket.status.in_(OPEN_STATUSES),
                    or_(
                        and_(
                            Ticket.first_response_at.is_(None),
                            Ticket.first_response_due_at < horizon,
                        ),
                        Ticket.due_at < horizon,
                    ),
                )
            )
        )
    if view == "mine":
        query = query.where(Conversation.assignee_id == agent.id)
    elif view == "unassigned":
        query = query.where(Conversation.assignee_id.is_(None))
    if status_ is not None:
        query = query.where(Conversation.status == status_)
    if cursor:
        moment, key = decode_cursor(cursor)
        query = query.where(
            or_(
                Conversation.last_message_at < moment,
                and_(Conversation.last_message_at == moment, Conversation.id < key),
            )
        )
    rows = list(
        db.scalars(
            query.order_by(Conversation.last_message_at.desc(), Conversation.id.desc()).limit(
                limit + 1
            )
        )
    )
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor(rows[-1].last_message_at, rows[-1].id)
    open_tickets = _open_tickets_of(db, [c.id for c in rows])
    names = _customer_names(db, {c.customer_id for c in rows})
    items = []
    for row in rows:
        item = InboxConversationOut.model_validate(row)
        ticket = open_tickets.get(row.id)
        item.ticket = InboxTicket.model_validate(ticket) if ticket else None
        item.customer_name = names.get(row.customer_id)
        items.append(item)
    return ConversationPage(items=items, next_cursor=next_cursor)


def _customer_names(db: Session, customer_ids: set[str]) -> dict[str, str | None]:
    """Display names of the page's customers (one query for the whole page)."""
    if not customer_ids:
        return {}
    rows = db.execute(
        select(Customer.id, Customer.display_name).where(Customer.id.in_(customer_ids))
    )
    return {customer_id: name for customer_id, name in rows}


def _open_tickets_of(db: Session, conversation_ids: list[str]) -> dict[str, Ticket]:
    """The newest open ticket of each conversation (one query for the whole page)."""
    if not conversation_ids:
        return {}
    found: dict[str, Ticket] = {}
    rows = db.scalars(
        select(Ticket)
        .where(Ticket.conversation_id.in_(conversation_ids), Ticket.status.in_(OPEN_STATUSES))
        .order_by(Ticket.created_at.desc())
    )
    for ticket in rows:
        if ticket.conversation_id is not None:
            found.setdefault(ticket.conversation_id, ticket)
    return found


@router.get("/conversations/{conversation_id}")
def read_conversation(
    conversation_id: str,
    db: DbSession,
    agent: InboxReader,
    after: Annotated[int | None, Query(ge=0, le=2**62)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 100,
    *,
    clock: AppClock,
) -> ConversationDetail:
    """The thread with internal notes, the tickets opened from it, and the channel's reply
    window (WeChat/WeCom: open or closed, and when it closes)."""
    conversation = conversations.get_conversation(db, conversation_id)
    if conversation.archived_at is not None:
        # Its messages are in the retention archive (GET /api/v1/admin/retention/archives/{id}).
        raise Gone("conversation_archived_staff")
    messages, next_cursor = conversations.list_messages(
        db, conversation.id, after=after, limit=limit, include_internal=True
    )
    linked = db.scalars(
        select(Ticket)
        .where(Ticket.conversation_id == conversation.id)
        .order_by(Ticket.created_at.desc())
    )
    return ConversationDetail(
        conversation=ConversationOut.model_validate(conversation),
        messages=[MessageOut.model_validate(m) for m in messages],
        next_cursor=next_cursor,
        tickets=[TicketOut.model_validate(t) for t in linked],
        channel_window=reply_window(db, clock, conversation),
        evidence=[AttachmentOut.model_validate(a) for a in _customer_uploads(db, conversation.id)],
    )


def _customer_uploads(db: Session, conversation_id: str) -> list[Attachment]:
    """What the customer uploaded in the conversation or as evidence on one of its tickets
    (the portal form's files), oldest first, capped like a page."""
    tickets_here = select(Ticket.id).where(Ticket.conversation_id == conversation_id)
    return list(
        db.scalars(
            select(Attachment)
            .where(
                Attachment.uploaded_by_type == "customer",
                or_(
                    Attachment.conversation_id == conversation_id,
                    Attachment.ticket_id.in_(tickets_here),
                ),
            )
            .order_by(Attachment.created_at, Attachment.id)
            .limit(EVIDENCE_LIMIT)
        )
    )


@router.post("/conversations/{conversation_id}/messages", status_code=status.HTTP_201_CREATED)
def reply_in_conversation(
    conversation_id: str,
    body: ConversationReply,
    db: DbSession,
    clock: AppClock,
    settings: AppSettings,
    agent: Replier,
) -> MessageOut:
    conversation = conversations.get_conversation(db, conversation_id)
    message = service.reply_in_conversation(
        db,
        clock,
        conversation,
        agent,
        body.body,
        visibility=body.visibility,
        max_chars=settings.message_max_chars,
    )
    return MessageOut.model_validate(message)


@router.post("/conversations/{conversation_id}/read", status_code=status.HTTP_204_NO_CONTENT)
def mark_read(conversation_id: str, db: DbSession, agent: InboxReader) -> None:
    conversations.mark_read_by_staff(db, conversations.get_conversation(db, conversation_id))


@router.post("/conversations/{conversation_id}/tickets", status_code=status.HTTP_201_CREATED)
def open_ticket(
    conversation_id: str,
    body: NewStaffTicket,
    db: DbSession,
    clock: AppClock,
    settings: AppSettings,
    store: Store,
    agent: Updater,
) -> TicketDetail:
    """Open a ticket for a conversation (orders are checked with the shop first)."""
    conversation = conversations.get_conversation(db, conversation_id)
    order_nos = [store.get_order(no).order_no for no in body.order_nos]
    ticket = tickets.open_ticket(
        db,
        clock,
        tickets.NewTicket(
            customer_id=conversation.customer_id,
            channel=conversation.channel,
            category=body.category,
            subject=body.subject,
            description=body.description,
            conversation_id=conversation.id,
            urgent=body.urgent,
            priority=body.priority,
            order_nos=order_nos,
        ),
        actor=Actor.staff(agent),
        prefix=settings.ticket_number_prefix,
    )
    return _detail(db, ticket)


@router.get("/attachments/{attachment_id}", response_class=FileResponse)
def download(
    attachment_id: str, db: DbSession, settings: AppSettings, agent: InboxReader
) -> FileResponse:
    return attachment_response(settings.upload_dir, get_attachment(db, attachment_id))


@router.websocket("/staff/ws")
async def staff_stream(websocket: WebSocket) -> None:
    """Live events for the console. Authenticate with ``?token=`` or the session cookie.

    The console also announces here which conversation its agent is viewing or typing
    in (see :mod:`yiwen.workspace.collision`); those frames are relayed to the other
    agents, never answered.
    """
    state = websocket.app.state
    database: Database = state.database
    hub: RealtimeHub = state.hub
    token = websocket.query_params.get("token") or websocket.cookies.get("yiwen_session")

    def authorise(token: str) -> tuple[str, str]:
        """The agent's id and name (read inside the session: the row is gone after it)."""
        with database.reading() as db:
            user, _ = resolve_session(db, state.clock, token)
            check_permission(user.role, "inbox.read")
            return user.id, user.display_name

    try:
        if not token:
            raise NotFound("not_found")
        # Database work stays off the event loop (see conversations.api.conversation_stream).
        agent_id, agent_name = await run_in_threadpool(authorise, token)
    except DomainError:
        await websocket.close(code=4401)
        return
    on_text = None
    if _same_origin(websocket):
        relay = PresenceRelay(agent_id, agent_name, state.clock)

        def on_text(text: str) -> None:
            event = relay.event_for(text)
            if event is not None:
                hub.publish(STAFF_TOPIC, event)

    await stream_topic(websocket, hub, STAFF_TOPIC, on_text)


def _same_origin(websocket: WebSocket) -> bool:
    """A browser names the page's origin; only the console's own pages may speak for an agent
    (a cookie rides along on another site's socket too)."""
    origin = websocket.headers.get("origin")
    if origin is None:
        return True
    return urlsplit(origin).netloc == websocket.headers.get("host", "")


def _active_agent(db: Session, agent_id: str) -> StaffUser:
    """An active staff member whose role works tickets; anyone else would strand the ticket."""
    target = db.get(StaffUser, agent_id)
    if target is None or not target.is_active or not has_permission(target.role, "ticket.reply"):
        raise InvalidInput("assignee_not_found")
    return target


def _detail(db: Session, ticket: Ticket) -> TicketDetail:
    db.flush()
    evidence = db.scalars(
        select(Attachment).where(Attachment.ticket_id == ticket.id).order_by(Attachment.created_at)
    )
    return TicketDetail(
        ticket=TicketOut.model_validate(ticket),
        order_nos=tickets.order_nos_of(db, ticket),
        timeline=[
            EventOut.model_validate(e) for e in tickets.timeline(db, ticket, include_internal=True)
        ],
        evidence=[AttachmentOut.model_validate(a) for a in evidence],
        assignee_name=handler_name(db, ticket),
    )
