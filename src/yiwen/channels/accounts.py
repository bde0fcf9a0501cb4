"""Channel accounts: created and changed by admins, secrets sealed, every change audited."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from yiwen.auth.audit import Actor, record_audit
from yiwen.channels import messages as _messages  # noqa: F401  (registers the texts)
from yiwen.channels.models import ChannelAccount
from yiwen.channels.protocol import AccountView
from yiwen.channels.sealing import SealError, seal, unseal
from yiwen.core.clock import Clock
from yiwen.core.errors import Conflict, InvalidInput, NotFound
from yiwen.core.settings import Settings

# The channels an account can be made for; each has an adapter package of its own.
ACCOUNT_CHANNELS = ("wechat", "wecom", "qq", "telegram", "email")
MAX_CONFIG_VALUE = 2000


def create_account(
    db: Session,
    clock: Clock,
    settings: Settings,
    *,
    channel: str,
    name: str,
    config: dict[str, object],
    secrets: dict[str, str],
    actor: Actor,
) -> ChannelAccount:
    if channel not in ACCOUNT_CHANNELS:
        raise InvalidInput("channel_unknown", channel=channel[:20])
    now = clock.now()
    account = ChannelAccount(
        channel=channel,
        name=_clean_name(name),
        enabled=True,
        config=_clean_config(config),
        sealed_secrets=seal(settings.resolved_secret(), _clean_secrets(secrets)),
        created_at=now,
        updated_at=now,
    )
    db.add(account)
    db.flush()
    record_audit(
        db,
        clock,
        actor=actor,
        action="channel.account.create",
        target_type="channel_account",
        target_id=account.id,
        after=public_view(settings, account),
    )
    return account


def update_account(
    db: Session,
    clock: Clock,
    settings: Settings,
    account_id: str,
    *,
    actor: Actor,
    name: str | None = None,
    enabled: bool | None = None,
    config: dict[str, object] | None = None,
    secrets: dict[str, str] | None = None,
) -> ChannelAccount:
    """Change what is given; ``secrets`` entries replace one by one, an empty value removes."""
    account = get_account(db, account_id)
    before = public_view(settings, account)
    if name is not None:
        account.name = _clean_name(name)
    if enabled is not None:
        account.enabled = enabled
    if config is not None:
        account.config = {**account.config, **_clean_config(config)}
    if secrets is not None:
        current = _current_secrets(settings, account)
        for key, value in _clean_secrets(secrets, allow_empty=True).items():
            if value:
                current[key] = value
            else:
                current.pop(key, None)
        account.sealed_secrets = seal(settings.resolved_secret(), current)
    account.updated_at = clock.now()
    db.flush()
    record_audit(
        db,
        clock,
        actor=actor,
        action="channel.account.update",
        target_type="channel_account",
        target_id=account.id,
        before=before,
        after=public_view(settings, account),
    )
    return account


def get_account(db: Session, account_id: str) -> ChannelAccount:
    account = db.get(ChannelAccount, account_id[:32])
    if account is None:
        raise NotFound("channel_account_not_found")
    return account


def get_enabled_account(db: Session, account_id: str, channel: str) -> ChannelAccount:
    """The account a webhook names; another channel's account id is as unknown as a made-up one."""
    account = db.get(ChannelAccount, account_id[:32])
    if account is None or account.channel != channel:
        raise NotFound("channel_account_not_found")
    if not account.enabled:
        raise Conflict("channel_account_disabled")
    return account


def list_accounts(db: Session, channel: str | None = None) -> list[ChannelAccount]:
    query = select(ChannelAccount).order_by(ChannelAccount.created_at)
    if channel is not None:
        query = query.where(ChannelAccount.channel == channel)
    return list(db.scalars(query))


def account_view(settings: Settings, account: ChannelAccount) -> AccountView:
    """What an adapter needs: the config and the decrypted secrets."""
    return AccountView(
        id=account.id,
        channel=account.channel,
        name=account.name,
        config=dict(account.config or {}),
        secrets=_current_secrets(settings, account),
    )


def public_view(settings: Settings, account: ChannelAccount) -> dict[str, object]:
    """What may be shown and audited: secret names, never their values."""
    try:
        names = sorted(unseal(settings.resolved_secret(), account.sealed_secrets))
        readable = True
    except SealError:
        names, readable = [], False
    return {
        "id": account.id,
        "channel": account.channel,
        "name": account.name,
        "enabled": account.enabled,
        "config": dict(account.config or {}),
        "secret_names": names,
        "secrets_readable": readable,
    }


def _current_secrets(settings: Settings, account: ChannelAccount) -> dict[str, str]:
    try:
        return unseal(settings.resolved_secret(), account.sealed_secrets)
    except SealError as exc:
        raise Conflict("channel_secrets_unreadable") from exc


def _clean_name(name: str) -> str:
    cleaned = name.strip()
    if not cleaned:
        raise InvalidInput("channel_account_name_required")
    return cleaned[:100]


def _clean_config(config: dict[str, object]) -> dict[str, object]:
    cleaned: dict[str, object] = {}
    for key, value in config.items():
        if not key or len(key) > 64:
            raise InvalidInput("channel_config_invalid", field=key[:64])
        if isinstance(value, str):
            if len(value) > MAX_CONFIG_VALUE or "\x00" in value:
                raise InvalidInput("channel_config_invalid", field=key)
        elif not (value is None or isinstance(value, bool | int | float)):
            raise InvalidInput("channel_config_invalid", field=key)
        cleaned[key] = value
    return cleaned


def _clean_secrets(secrets: dict[str, str], *, allow_empty: bool = False) -> dict[str, str]:
    cleaned: dict[str, str] = {}
    for key, value in secrets.items():
        if not key or len(key) > 64 or not isinstance(value, str) or len(value) > 4000:
            raise InvalidInput("channel_config_invalid", field=str(key)[:64])
        if not value and not allow_empty:
            continue
        cleaned[key] = value
    return cleaned
