"""Staff accounts and their sessions: create, log in and out, change passwords, manage.

Services never commit; the request (or the caller's ``database.transaction()``)
owns the transaction. The one exception is :func:`attempt_login`, which must
keep a refused attempt although the attempt itself fails.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from yiwen.auth import messages as _messages  # noqa: F401  (registers the error texts)
from yiwen.auth.audit import Actor, record_audit
from yiwen.auth.models import LoginFailure, StaffSession, StaffUser
from yiwen.auth.passwords import (
    check_password_rules,
    hash_password,
    needs_rehash,
    spend_verification_time,
    verify_password,
)
from yiwen.auth.permissions import check_role
from yiwen.core.clock import Clock, as_utc
from yiwen.core.db import Database
from yiwen.core.errors import Conflict, InvalidInput, NotFound, RateLimited, Unauthenticated
from yiwen.core.ids import hash_token, new_token
from yiwen.core.settings import Settings

# Five wrong passwords within fifteen minutes lock the username (issue 13).
LOCKOUT_FAILURES = 5
LOCKOUT_WINDOW = timedelta(minutes=15)
MAX_TOKEN_LENGTH = 256

_USERNAME = re.compile(r"[a-z0-9][a-z0-9_.-]{1,31}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def create_staff(
    db: Session,
    clock: Clock,
    *,
    username: str,
    password: str,
    display_name: str,
    role: str,
    email: str | None = None,
    actor: Actor | None = None,
) -> StaffUser:
    name = _normalise_username(username)
    if not _USERNAME.fullmatch(name):
        raise InvalidInput("username_invalid")
    check_role(role)
    check_password_rules(password)
    if db.scalar(select(StaffUser.id).where(StaffUser.username == name)) is not None:
        raise Conflict("username_taken", username=name)
    now = clock.now()
    user = StaffUser(
        username=name,
        display_name=_clean_display_name(display_name),
        role=role,
        email=_clean_email(email),
        password_hash=hash_password(password),
        is_active=True,
        created_at=now,
        password_changed_at=now,
    )
    db.add(user)
    db.flush()
    record_audit(
        db,
        clock,
        actor=actor or Actor.system(),
        action="staff.create",
        target_type="staff_user",
        target_id=user.id,
        after=_profile(user),
    )
    return user


def get_staff(db: Session, user_id: str) -> StaffUser:
    user = db.get(StaffUser, user_id)
    if user is None:
        raise NotFound("staff_not_found")
    return user


def list_staff(
    db: Session,
    *,
    role: str | None = None,
    active: bool | None = None,
    after: str | None = None,
    limit: int = 100,
) -> tuple[list[StaffUser], str | None]:
    """Staff by username, one page at a time; the cursor is the last username shown."""
    limit = max(1, min(limit, 500))
    query = select(StaffUser)
    if role is not None:
        query = query.where(StaffUser.role == role)
    if active is not None:
        query = query.where(StaffUser.is_active.is_(active))
    if after is not None:
        query = query.where(StaffUser.username > after)
    rows = list(db.scalars(query.order_by(StaffUser.username).limit(limit + 1)))
    if len(rows) <= limit:
        return rows, None
    return rows[:limit], rows[limit - 1].username


def count_staff_by_role(db: Session) -> dict[str, int]:
    """Active accounts per role."""
    rows = db.execute(
        select(StaffUser.role, func.count())
        .where(StaffUser.is_active.is_(True))
        .group_by(StaffUser.role)
    )
    return {role: int(count) for role, count in rows}


def update_staff(
    db: Session,
    clock: Clock,
    user_id: str,
    *,
    actor: Actor,
    display_name: str | None = None,
    role: str | None = None,
    is_active: bool | None = None,
    email: str | None = None,
    password: str | None = None,
) -> StaffUser:
    """Change an account; ``None`` keeps a field and an empty ``email`` clears it.

    Deactivating an account or resetting its password ends all its sessions.
    """
    user = get_staff(db, user_id)
    before: dict[str, object] = {}
    after: dict[str, object] = {}

    def change(field: str, value: object) -> None:
        if getattr(user, field) != value:
            before[field], after[field] = getattr(user, field), value
            setattr(user, field, value)

    if role is not None:
        check_role(role)
    if (role not in (None, "admin") or is_active is False) and user.role == "admin":
        _check_other_admin_remains(db, user)
    if display_name is not None:
        change("display_name", _clean_display_name(display_name))
    if role is not None:
        change("role", role)
    if email is not None:
        change("email", _clean_email(email))
    if is_active is not None:
        change("is_active", is_active)
    now = clock.now()
    if password is not None:
        check_password_rules(password)
        user.password_hash = hash_password(password)
        user.password_changed_at = now
        after["password_reset"] = True
    if after.get("is_active") is False or password is not None:
        after["sessions_revoked"] = _revoke_sessions(db, now, user.id)
    db.flush()
    if after:
        record_audit(
            db,
            clock,
            actor=actor,
            action="staff.update",
            target_type="staff_user",
            target_id=user.id,
            before=before,
            after=after,
        )
    return user


def attempt_login(
    database: Database,
    clock: Clock,
    settings: Settings,
    *,
    username: str,
    password: str,
    ip: str | None = None,
    user_agent: str | None = None,
) -> tuple[StaffUser, str, StaffSession]:
    """Log in in one transaction; when refused, keep the failure in a second one.

    The refused attempt's own transaction rolls back with the error, yet the
    failure must count towards the lockout, so it is written separately.
    """
    try:
        with database.transaction() as db:
            return login(
                db,
                clock,
                settings,
                username=username,
                password=password,
                ip=ip,
                user_agent=user_agent,
            )
    except Unauthenticated as refused:
        if refused.code == "login_failed":
            with database.transaction() as db:
                record_login_failure(db, clock, username=username, ip=ip)
        raise


def login(
    db: Session,
    clock: Clock,
    settings: Settings,
    *,
    username: str,
    password: str,
    ip: str | None = None,
    user_agent: str | None = None,
) -> tuple[StaffUser, str, StaffSession]:
    """Open a session; returns the user, the session token (shown once) and the session.

    A wrong password, an unknown or a deactivated user all get the same
    ``login_failed`` after the same work, so a caller learns nothing about which.
    """
    name = _normalise_username(username)
    check_not_locked(db, clock, name)
    user = db.scalar(select(StaffUser).where(StaffUser.username == name))
    if user is None:
        spend_verification_time(password)
        raise Unauthenticated("login_failed")
    if not verify_password(user.password_hash, password) or not user.is_active:
        raise Unauthenticated("login_failed")
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    now = clock.now()
    token = new_token()
    staff_session = StaffSession(
        user_id=user.id,
        token_hash=hash_token(token),
        csrf_token=new_token(),
        created_at=now,
        expires_at=now + timedelta(hours=settings.session_ttl_hours),
        last_seen_at=now,
        user_agent=user_agent[:255] if user_agent else None,
        ip=ip,
    )
    user.last_login_at = now
    db.add(staff_session)
    db.execute(delete(LoginFailure).where(LoginFailure.username == name))
    db.flush()
    record_audit(
        db,
        clock,
        actor=Actor.staff(user),
        action="auth.login",
        target_type="staff_user",
        target_id=user.id,
        after={"session_id": staff_session.id},
        ip=ip,
    )
    return user, token, staff_session


def check_not_locked(db: Session, clock: Clock, username: str) -> None:
    now = clock.now()
    recent = list(
        db.scalars(
            select(LoginFailure.at)
            .where(LoginFailure.username == username, LoginFailure.at > now - LOCKOUT_WINDOW)
            .order_by(LoginFailure.at.desc())
            .limit(LOCKOUT_FAILURES)
        )
    )
    if len(recent) >= LOCKOUT_FAILURES:
        unlocks_at = as_utc(recent[-1]) + LOCKOUT_WINDOW
        minutes = max(1, -(-int((unlocks_at - now).total_seconds()) // 60))
        raise RateLimited("login_locked", minutes=minutes)


def record_login_failure(
    db: Session, clock: Clock, *, username: str, ip: str | None = None
) -> None:
    """Count a refused login against the username, whether or not such a user exists."""
    name = _normalise_username(username)[:64]
    now = clock.now()
    db.execute(
        delete(LoginFailure).where(
            LoginFailure.username == name, LoginFailure.at <= now - LOCKOUT_WINDOW
        )
    )
    db.add(LoginFailure(username=name, at=now, ip=ip))
    db.flush()
    record_audit(
        db,
        clock,
        actor=Actor.system(),
        action="auth.login_failed",
        target_type="username",
        target_id=name,
        ip=ip,
    )


def resolve_session(db: Session, clock: Clock, token: str) -> tuple[StaffUser, StaffSession]:
    """The user and session behind a token; unknown, expired, revoked or disabled: refused.

    It only reads, because staff reads run in read-only transactions.
    """
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise Unauthenticated("session_invalid")
    row = db.execute(
        select(StaffSession, StaffUser)
        .join(StaffUser, StaffUser.id == StaffSession.user_id)
        .where(StaffSession.token_hash == hash_token(token))
    ).first()
    if row is None:
        raise Unauthenticated("session_invalid")
    staff_session, user = row
    if (
        staff_session.revoked_at is not None
        or as_utc(staff_session.expires_at) <= clock.now()
        or not user.is_active
    ):
        raise Unauthenticated("session_invalid")
    return user, staff_session


def logout(db: Session, clock: Clock, user: StaffUser, staff_session: StaffSession) -> None:
    staff_session.revoked_at = clock.now()
    db.flush()
    record_audit(
        db,
        clock,
        actor=Actor.staff(user),
        action="auth.logout",
        target_type="staff_user",
        target_id=user.id,
        after={"session_id": staff_session.id},
    )


def change_password(
    db: Session,
    clock: Clock,
    user: StaffUser,
    old: str,
    new: str,
    *,
    keep_session: StaffSession | None = None,
) -> None:
    """Set a new password and end the other sessions: a stolen one dies with the old password."""
    if not verify_password(user.password_hash, old):
        raise InvalidInput("password_wrong")
    check_password_rules(new)
    if new == old:
        raise InvalidInput("password_unchanged")
    now = clock.now()
    user.password_hash = hash_password(new)
    user.password_changed_at = now
    revoked = _revoke_sessions(
        db, now, user.id, keep_id=keep_session.id if keep_session is not None else None
    )
    db.flush()
    record_audit(
        db,
        clock,
        actor=Actor.staff(user),
        action="auth.password_change",
        target_type="staff_user",
        target_id=user.id,
        after={"sessions_revoked": revoked},
    )


def _revoke_sessions(db: Session, now: datetime, user_id: str, keep_id: str | None = None) -> int:
    query = update(StaffSession).where(
        StaffSession.user_id == user_id, StaffSession.revoked_at.is_(None)
    )
    if keep_id is not None:
        query = query.where(StaffSession.id != keep_id)
    result = db.execute(query.values(revoked_at=now).execution_options(synchronize_session="fetch"))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _check_other_admin_remains(db: Session, user: StaffUser) -> None:
    if not user.is_active:
        return
    others = db.scalar(
        select(func.count())
        .select_from(StaffUser)
        .where(StaffUser.role == "admin", StaffUser.is_active.is_(True), StaffUser.id != user.id)
    )
    if not others:
        raise Conflict("last_admin")


def _normalise_username(username: str) -> str:
    return username.strip().lower()


def _clean_display_name(display_name: str) -> str:
    cleaned = " ".join(display_name.split())
    if not 1 <= len(cleaned) <= 50:
        raise InvalidInput("display_name_invalid")
    return cleaned


def _clean_email(email: str | None) -> str | None:
    if email is None or not email.strip():
        return None
    cleaned = email.strip()
    if len(cleaned) > 254 or not _EMAIL.fullmatch(cleaned):
        raise InvalidInput("email_invalid")
    return cleaned


def _profile(user: StaffUser) -> dict[str, object]:
    return {
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role,
        "email": user.email,
        "is_active": user.is_active,
    }
