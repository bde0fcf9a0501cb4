"""Configuration from the environment (prefix ``YIWEN_``) with defaults that need no file."""

from __future__ import annotations

import secrets
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Literal

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
    # Customer messages through the public API (issue 9): "deferred" stores the message,
    # answers the client and runs its reactions (SLA, routing, search, notifications, the
    # bot) a moment later in batches (yiwen.conversations.pipeline); "inline" runs them in
    # the request's own transaction, as the channel adapters always do.
    message_reactions: Literal["deferred", "inline"] = "deferred"
    refund_limits: dict[str, Decimal | None] = Field(default_factory=_default_refund_limits)
    coupon_limits: dict[str, Decimal | None] = Field(default_factory=_default_coupon_limits)
    cookie_secure: bool = False
    sql_echo: bool = False
    # The bot answers every new conversation first (issue 3); off, customers wait for humans.
    bot_enabled: bool = True
    # The most the bot may refund on its own for an undelivered order; above it, finance decides.
    bot_auto_refund_limit: Decimal = Decimal("50")
    # Optional LLM (issue 3): an OpenAI-compatible /v1/chat/completions endpoint (DeepSeek,
    # Qwen, vLLM, Ollama) that only rephrases answers and drafts replies; it never acts.
    llm_enabled: bool = False
    llm_base_url: str = "http://127.0.0.1:11434/v1"
    llm_api_key: str = ""
    llm_model: str = ""
    llm_timeout_seconds: float = 10.0
    # SLA (issue 4): warn the assignee and supervisors at these fractions of a target.
    sla_warning_fractions: list[float] = Field(default_factory=lambda: [0.75, 0.9])
    # Closing honestly (issue 4): notice this long after resolution, close after the grace
    # period with no reply, re-check held tickets, and let the customer reopen for a window.
    closing_notice_delay_hours: float = 24.0
    closing_grace_hours: float = 72.0
    closing_recheck_minutes: float = 60.0
    reopen_window_days: float = 7.0
    # Durable work (issue 4): the worker runs inside `yiwen serve` unless separate
    # `yiwen worker` processes do the work (then set worker_embedded=false).
    worker_embedded: bool = True
    # Several app processes (issue 9): Redis carries realtime events between them and
    # keeps the rate limits shared. Empty: one process, everything in memory.
    redis_url: str = ""
    worker_poll_seconds: float = 1.0
    worker_batch_size: int = 20
    worker_claim_seconds: int = 60
    notify_max_attempts: int = 8
    notify_backoff_base_seconds: float = 10.0
    notify_backoff_max_seconds: float = 3600.0
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_from: str = "一问客服 <noreply@localhost>"
    smtp_starttls: bool = False
    smtp_timeout_seconds: float = 15.0
    sms_gateway_url: str = ""
    sms_api_key: str = ""
    sms_api_secret: str = ""
    sms_template: str = "yiwen_notice"
    webhook_allow_private: bool = False
    webhook_timeout_seconds: float = 10.0
    # dujiaoka connector (issue 7): the shop database's read-only DSN, and optionally a
    # separate write account (coupons); empty means Yiwen never writes to the shop.
    dujiaoka_url: str = ""
    dujiaoka_write_url: str = ""
    dujiaoka_timezone: str = "Asia/Shanghai"
    dujiaoka_timeout_seconds: float = 5.0
    # Replacing a dead card key marks an unsold carmi sold through the write account
    # (which then needs UPDATE on carmis and INSERT on yiwen_carmi_replacements).
    dujiaoka_replace_keys: bool = False
    # Signed HTTP connector (issue 7, docs/connector-http.md).
    http_store_url: str = ""
    http_store_key_id: str = ""
    http_store_secret: str = ""
    http_store_timeout_seconds: float = 5.0
    http_store_retries: int = 3
    # Regular expressions (full match) of the shop's order numbers; empty = the usual two.
    http_store_order_no_patterns: list[str] = Field(default_factory=list)
    # Proactive service (issue 8): how long a paid order may wait for delivery before the
    # customer is messaged, per delivery type (minutes), overridden per product id.
    proactive_care_normal_minutes: dict[str, float] = Field(
        default_factory=lambda: {"card_key": 10.0, "direct_topup": 30.0}
    )
    proactive_care_product_minutes: dict[str, float] = Field(default_factory=dict)
    # Orders paid longer ago than this are past proactive care (someone has surely asked).
    proactive_care_lookback_hours: float = 24.0
    # A customer with at least this many orders in 90 days is a frequent buyer: priority.
    proactive_frequent_buyer_orders: int = 5
    # Active announcements are read by every bot turn and banner: kept this long in memory.
    announcement_cache_seconds: float = 15.0
    # Chat widget (issue 5): shop origins (e.g. "https://shop.example.com", or "*") whose
    # pages may call the customer API; the widget on this server's own pages needs none.
    widget_allowed_origins: list[str] = Field(default_factory=list)
    # Staffing plan (issue 8): the share of contacts to answer within the first-response
    # target, how long a waiting customer stays (Erlang A) and the seeds' rule of thumb.
    workforce_service_level: float = 0.8
    workforce_patience_seconds: float = 900.0
    workforce_users_per_agent: int = 200
    # Service-commitment page (issue 8): promised delivery minutes per product type.
    commitment_delivery_minutes: dict[str, int] = Field(
        default_factory=lambda: {"card_key": 5, "direct_topup": 30}
    )

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
