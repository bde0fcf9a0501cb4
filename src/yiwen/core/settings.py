"""Configuration from the environment (prefix ``YIWEN_``) with defaults that need no file."""

from __future__ import annotations

import secrets
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_refund_limits() -> dict[str, Decimal | None]:
    # Refund authority per role (issue 2): L1 up to 50 yuan, L2 up to 500 yuan,
    # finance and admin unlimited (None). Roles absent here may not refund at all.
    return {
        "agent_l1": Decimal("50"),
        "agent_l2": Decimal("500"),
        "supervisor": Decimal("2000"),
        "finance": None,
        "admin": None,
    }


def _default_coupon_limits() -> dict[str, Decimal | None]:
    return {
        "agent_l1": Decimal("10"),
        "agent_l2": Decimal("50"),
        "supervisor": Decimal("200"),
        "finance": None,
        "admin": None,
    }


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="YIWEN_", env_nested_delimiter="__")

    data_dir: Path = Path("var")
    database_url: str = ""
    secret_key: str = ""
    shop_token_secret: str = ""
    store_connector: str = "demo"
    demo_shop_url: str = ""
    timezone: str = "Asia/Shanghai"
    ticket_number_prefix: str = "YW"
    session_ttl_hours: int = 12
    upload_max_bytes: int = 10 * 1024 * 1024
    message_max_chars: int = 5000
    refund_limits: dict[str, Decimal | None] = Field(default_factory=_default_refund_limits)
    coupon_limits: dict[str, Decimal | None] = Field(default_factory=_default_coupon_limits)
    cookie_secure: bool = False
    sql_echo: bool = False

    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'yiwen.db'}"

    def resolved_demo_shop_url(self) -> str:
        """The demo shop is a separate system with its own database, as a real shop would be."""
        return self.demo_shop_url or f"sqlite:///{self.data_dir / 'demo_shop.db'}"

    @property
    def upload_dir(self) -> Path:
        return self.data_dir / "uploads"

    def resolved_secret(self) -> str:
        """The server secret: configured, else generated once and kept in the data dir."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret.key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_hex(32))
            path.chmod(0o600)
        return path.read_text().strip()

    def resolved_shop_token_secret(self) -> str:
        return self.shop_token_secret or self.resolved_secret()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
