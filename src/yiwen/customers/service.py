"""Finding and creating customers by the identities channels present."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from yiwen.core.clock import Clock
from yiwen.core.errors import InvalidInput, NotFound
from yiwen.core.i18n import register_messages
from yiwen.customers.models import CHANNELS, Customer, Identity

register_messages(
    {
        "customer_not_found": ("顾客不存在", "Customer not found"),
        "unknown_channel": ("不支持的渠道：{channel}", "Unknown channel: {channel}"),
        "invalid_contact": (
            "联系方式格式不正确，请填写手机号或邮箱",
            "Contact must be a mobile number or an email address",
        ),
    }
)

PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[A-Za-z]{2,}$")


def normalise_contact(contact: str) -> tuple[str, str]:
    """Return ``(channel, value)`` for a phone number or an email address as customers type it."""
    value = contact.strip()
    digits = re.sub(r"[\s-]", "", value)
    if digits.startswith("+86"):
        digits = digits[3:]
    if PHONE_RE.match(digits):
        return "phone", digits
    if EMAIL_RE.match(value):
        return "email", value.lower()
    raise InvalidInput("invalid_contact")


def get_customer(db: Session, customer_id: str) -> Customer:
    customer = db.get(Customer, customer_id)
    if customer is None:
        raise NotFound("customer_not_found")
    return customer


def find_by_identity(db: Session, channel: str, external_id: str) -> Customer | None:
    identity = db.scalar(
        select(Identity).where(Identity.channel == channel, Identity.external_id == external_id)
    )
    return identity.customer if identity else None


def find_or_create_customer(
    db: Session,
    clock: Clock,
    *,
    channel: str,
    external_id: str,
    display_name: str | None = None,
    verified: bool = False,
) -> Customer:
    """The customer behind a channel identity, created on first contact."""
    if channel not in CHANNELS:
        raise InvalidInput("unknown_channel", channel=channel)
    existing = find_by_identity(db, channel, external_id)
    if existing is not None:
        return existing
    now = clock.now()
    customer = Customer(display_name=display_name, created_at=now, updated_at=now, tags=[])
    db.add(customer)
    db.flush()
    db.add(
        Identity(
            customer_id=customer.id,
            channel=channel,
            external_id=external_id,
            verified=verified,
            created_at=now,
        )
    )
    db.flush()
    db.refresh(customer)
    return customer


def link_identity(
    db: Session,
    clock: Clock,
    customer: Customer,
    *,
    channel: str,
    external_id: str,
    verified: bool = False,
) -> Identity:
    """Attach another identity; an identity already owned by someone else is left alone.

    Merging two customers needs proof (a verified phone, email or order), so a
    claimed contact never moves an identity between customers here.
    """
    if channel not in CHANNELS:
        raise InvalidInput("unknown_channel", channel=channel)
    existing = db.scalar(
        select(Identity).where(Identity.channel == channel, Identity.external_id == external_id)
    )
    if existing is not None:
        if existing.customer_id == customer.id and verified and not existing.verified:
            existing.verified = True
        return existing
    identity = Identity(
        customer_id=customer.id,
        channel=channel,
        external_id=external_id,
        verified=verified,
        created_at=clock.now(),
    )
    db.add(identity)
    db.flush()
    return identity


def contacts_of(customer: Customer) -> list[str]:
    return [i.external_id for i in customer.identities if i.channel in ("phone", "email")]


def shop_user_ids_of(customer: Customer) -> list[str]:
    return [i.external_id for i in customer.identities if i.channel == "shop"]
