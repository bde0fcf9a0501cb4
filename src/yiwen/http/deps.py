"""Request dependencies shared by every feature's routes.

The request owns the transaction: :func:`get_db` commits when the route
returns and rolls back when it raises, before the response is sent
(``scope="function"``), so a client never sees success for a rolled-back write.
"""

from __future__ import annotations

import hmac
import threading
from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from yiwen.auth.models import StaffUser
from yiwen.auth.permissions import check_permission
from yiwen.auth.service import resolve_session
from yiwen.conversations.access import (
    CustomerPrincipal,
    principal_from_conversation_token,
    principal_from_shop_token,
)
from yiwen.core.clock import Clock
from yiwen.core.db import Database
from yiwen.core.errors import ActionNotAllowed, Unauthenticated
from yiwen.core.settings import Settings
from yiwen.store.protocol import StoreConnector
from yiwen.store.registry import build_store

SESSION_COOKIE = "yiwen_session"
CSRF_HEADER = "x-csrf-token"
SHOP_TOKEN_HEADER = "x-shop-token"
CONVERSATION_TOKEN_HEADER = "x-conversation-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


def _session(request: Request) -> Iterator[Session]:
    database = get_database(request)
    if request.method in SAFE_METHODS:
        with database.reading() as session:
            yield session
    else:
        with database.transaction() as session:
            yield session


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_clock(request: Request) -> Clock:
    clock: Clock = request.app.state.clock
    return clock


_STORE_LOCK = threading.Lock()


def get_store(request: Request) -> StoreConnector:
    """The configured shop connector, built on first use so start-up never waits on a shop."""
    state = request.app.state
    if state.store is None:
        with _STORE_LOCK:
            if state.store is None:
                state.store = build_store(state.settings, state.clock)
    store: StoreConnector = state.store
    return store


DbSession = Annotated[Session, Depends(_session, scope="function")]
AppSettings = Annotated[Settings, Depends(get_settings)]
AppClock = Annotated[Clock, Depends(get_clock)]
Store = Annotated[StoreConnector, Depends(get_store)]


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return None


def current_staff(request: Request, db: DbSession, clock: AppClock) -> StaffUser:
    """The logged-in staff member, by bearer token or by the console's cookie.

    A cookie-authenticated write must also carry the session's CSRF token in
    ``X-CSRF-Token``: a cookie alone proves nothing about who built the request.
    """
    token = bearer_token(request)
    via_cookie = False
    if token is None:
        token = request.cookies.get(SESSION_COOKIE)
        via_cookie = token is not None
    if not token:
        raise Unauthenticated("not_logged_in")
    user, staff_session = resolve_session(db, clock, token)
    if via_cookie and request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        if not hmac.compare_digest(sent.encode(), staff_session.csrf_token.encode()):
            raise ActionNotAllowed("csrf_failed")
    request.state.staff = user
    return user


CurrentStaff = Annotated[StaffUser, Depends(current_staff)]


def require_permission(permission: str) -> Callable[..., StaffUser]:
    """A dependency that admits only staff whose role grants ``permission``."""

    def _check(user: CurrentStaff) -> StaffUser:
        check_permission(user.role, permission)
        return user

    return _check


def _customer_principal(
    request: Request, db: Session, clock: Clock, settings: Settings
) -> CustomerPrincipal | None:
    shop_token = request.headers.get(SHOP_TOKEN_HEADER)
    if shop_token:
        return principal_from_shop_token(
            db, clock, settings.resolved_shop_token_secret(), shop_token
        )
    token = request.headers.get(CONVERSATION_TOKEN_HEADER) or bearer_token(request)
    if token:
        return principal_from_conversation_token(db, token)
    return None


def current_customer(
    request: Request, db: DbSession, clock: AppClock, settings: AppSettings
) -> CustomerPrincipal:
    """The customer calling the public API, by conversation token or shop-signed token."""
    principal = _customer_principal(request, db, clock, settings)
    if principal is None:
        raise Unauthenticated("customer_token_missing")
    return principal


def optional_customer(
    request: Request, db: DbSession, clock: AppClock, settings: AppSettings
) -> CustomerPrincipal | None:
    return _customer_principal(request, db, clock, settings)


CurrentCustomer = Annotated[CustomerPrincipal, Depends(current_customer)]
OptionalCustomer = Annotated[CustomerPrincipal | None, Depends(optional_customer)]
