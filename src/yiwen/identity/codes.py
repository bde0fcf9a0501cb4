"""One-time codes sent to an email address or a phone, returned by the customer as proof.

Six digits, valid ten minutes, five wrong tries lock the code. Only an HMAC of
the code under the server secret is stored, and it is compared in constant
time. Sending is rate-limited per target (a phone must not be bombed with
texts) and per requesting customer (nobody may spray codes at many targets);
the limits are counted from the table, so they hold across processes and
restarts. The code travels through the notify outbox (kind ``email`` or
``sms``) and is sent by the worker.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yiwen.auth.audit import Actor
from yiwen.core.clock import Clock
from yiwen.core.errors import Conflict, NotFound, RateLimited
from yiwen.core.i18n import translate
from yiwen.core.settings import Settings
from yiwen.customers.service import normalise_contact
from yiwen.identity import messages as _messages  # noqa: F401  (registers the texts)
from yiwen.identity.models import VerificationAttempt
from yiwen.identity.service import Linked, link_verified_identity
from yiwen.notify.outbox import enqueue

CODE_DIGITS = 6
CODE_TTL = timedelta(minutes=10)
MAX_WRONG = 5
RESEND_AFTER = timedelta(seconds=60)
WINDOW = timedelta(hours=1)
PER_TARGET_PER_WINDOW = 5
PER_CUSTOMER_PER_WINDOW = 5
OUTBOX_KIND = {"email": "email", "phone": "sms"}


@dataclass(frozen=True)
class CodeSent:
    attempt: VerificationAttempt
    masked_target: str
    resend_after: datetime


@dataclass(frozen=True)
class CodeChecked:
    """The outcome of a confirmation; a wrong or locking code must still be committed."""

    outcome: str  # confirmed | wrong | locked
    attempts_left: int
    linked: Linked | None = None


def code_hash(settings: Settings, attempt_id: str, code: str) -> str:
    key = settings.resolved_secret().encode()
    return hmac.new(key, f"identity-code:{attempt_id}:{code}".encode(), hashlib.sha256).hexdigest()


def mask(channel: str, target: str) -> str:
    if channel == "phone":
        return f"{target[:3]}****{target[-4:]}"
    name, _, domain = target.partition("@")
    return f"{name[:1]}***@{domain}"


def send_code(
    db: Session, clock: Clock, settings: Settings, *, customer_id: str, contact: str
) -> CodeSent:
    """Queue a fresh code to ``contact`` for this customer, within the rate limits."""
    channel, target = normalise_contact(contact)
    now = clock.now()
    _check_rate(db, now, customer_id=customer_id, target=target)
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    attempt = VerificationAttempt(
        customer_id=customer_id,
        method="code",
        channel=channel,
        target=target,
        attempts=0,
        status="pending",
        expires_at=now + CODE_TTL,
        created_at=now,
    )
    db.add(attempt)
    db.flush()
    attempt.code_hash = code_hash(settings, attempt.id, code)
    text = translate("identity_code_text", code=code)
    enqueue(
        db,
        clock,
        key=f"identity-code:{attempt.id}",
        kind=OUTBOX_KIND[channel],
        event="identity.code",
        recipient=target,
        payload={
            "subject": translate("identity_code_subject"),
            "body": text,
            "text": text,
            "params": {"code": code},
        },
    )
    return CodeSent(attempt, mask(channel, target), now + RESEND_AFTER)


def check_code(
    db: Session,
    clock: Clock,
    settings: Settings,
    *,
    customer_id: str,
    attempt_id: str,
    code: str,
) -> CodeChecked:
    """Compare the returned code; the right one links the email/phone to this customer.

    Only the customer who asked for the code may return it: another customer
    (or a stranger holding a guessed id) finds no such verification.
    """
    attempt = db.get(VerificationAttempt, attempt_id)
    if attempt is None or attempt.customer_id != customer_id or attempt.method != "code":
        raise NotFound("identity_verification_not_found")
    now = clock.now()
    if attempt.status == "confirmed":
        raise Conflict("identity_code_used")
    if attempt.status == "locked":
        raise Conflict("identity_code_locked")
    if now >= attempt.expires_at:
        raise Conflict("identity_code_expired")
    given = code.strip()
    expected = attempt.code_hash or ""
    if not hmac.compare_digest(code_hash(settings, attempt.id, given), expected):
        attempt.attempts += 1
        left = MAX_WRONG - attempt.attempts
        if left <= 0:
            attempt.status = "locked"
            return CodeChecked("locked", 0)
        return CodeChecked("wrong", left)
    attempt.status = "confirmed"
    attempt.confirmed_at = now
    linked = link_verified_identity(
        db,
        clock,
        customer_id=customer_id,
        channel=attempt.channel,
        external_id=attempt.target,
        source="code",
        reference=attempt.id,
        actor=Actor.customer(customer_id),
    )
    return CodeChecked("confirmed", MAX_WRONG - attempt.attempts, linked)


def _check_rate(db: Session, now: datetime, *, customer_id: str, target: str) -> None:
    since = now - WINDOW
    recent = select(VerificationAttempt).where(
        VerificationAttempt.method == "code", VerificationAttempt.created_at > since
    )
    to_target = list(
        db.scalars(
            recent.where(VerificationAttempt.target == target).order_by(
                VerificationAttempt.created_at
            )
        )
    )
    if to_target and now - to_target[-1].created_at < RESEND_AFTER:
        _refuse(to_target[-1].created_at + RESEND_AFTER - now)
    if len(to_target) >= PER_TARGET_PER_WINDOW:
        _refuse(to_target[0].created_at + WINDOW - now)
    by_customer = db.scalar(
        select(func.count())
        .select_from(VerificationAttempt)
        .where(
            VerificationAttempt.method == "code",
            VerificationAttempt.created_at > since,
            VerificationAttempt.customer_id == customer_id,
        )
    )
    if (by_customer or 0) >= PER_CUSTOMER_PER_WINDOW:
        first = db.scalar(
            select(func.min(VerificationAttempt.created_at)).where(
                VerificationAttempt.method == "code",
                VerificationAttempt.created_at > since,
                VerificationAttempt.customer_id == customer_id,
            )
        )
        _refuse((first + WINDOW - now) if first else WINDOW)


def _refuse(wait: timedelta) -> None:
    seconds = max(1, int(wait.total_seconds()) + 1)
    raise RateLimited("identity_code_rate_limited", seconds=seconds)
