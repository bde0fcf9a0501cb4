"""Where the pieces meet: every model module, the routers and the event listeners."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING

from fastapi import APIRouter

if TYPE_CHECKING:
    from yiwen.core.clock import Clock
    from yiwen.core.db import Database
    from yiwen.core.settings import Settings
    from yiwen.store.protocol import StoreConnector
    from yiwen.worker.runner import Worker

MODEL_MODULES = (
    "yiwen.auth.models",
    "yiwen.auth.audit",
    "yiwen.customers.models",
    "yiwen.conversations.models",
    "yiwen.attachments.models",
    "yiwen.tickets.models",
    "yiwen.workspace.models",
    "yiwen.routing.models",
    "yiwen.analytics.models",
    "yiwen.bot.models",
    "yiwen.notify.models",
    "yiwen.worker.models",
    "yiwen.sla.models",
    "yiwen.channels.models",
    "yiwen.channels.email.models",
    "yiwen.identity.models",
    "yiwen.complaints.models",
    "yiwen.proactive.anomaly.models",
    "yiwen.proactive.incidents.models",
    "yiwen.proactive.announcements.models",
    "yiwen.proactive.care.models",
    "yiwen.workforce.models",
    "yiwen.reports.models",
    "yiwen.retention.models",
)

ROUTER_MODULES = (
    "yiwen.auth.api",
    "yiwen.conversations.api",
    "yiwen.tickets.api",
    "yiwen.store.api",
    "yiwen.store.admin_api",
    "yiwen.workspace.api",
    "yiwen.workspace.orders_api",
    "yiwen.routing.api",
    "yiwen.analytics.api",
    "yiwen.bot.kb.api",
    "yiwen.bot.llm.api",
    "yiwen.sla.api",
    "yiwen.notify.api",
    "yiwen.channels.api",
    "yiwen.channels.qq.routes",
    "yiwen.channels.telegram.routes",
    "yiwen.channels.wechat.routes",
    "yiwen.channels.wecom.routes",
    "yiwen.identity.api",
    "yiwen.complaints.api",
    "yiwen.proactive.incidents.api",
    "yiwen.proactive.announcements.api",
    "yiwen.workforce.api",
    "yiwen.search.api",
    "yiwen.reports.api",
    "yiwen.retention.api",
)


# Modules whose ``install_reactions()`` subscribes their in-transaction event
# reactions (see yiwen.core.events). Each install must be idempotent.
REACTION_MODULES: tuple[str, ...] = (
    "yiwen.bot.reactions",
    "yiwen.routing.reactions",
    "yiwen.sla.reactions",
    "yiwen.notify.rules",
    "yiwen.proactive.announcements.optout",
    "yiwen.search.reactions",
    "yiwen.channels.wecom.sessions",
)

# Periodic jobs the worker runs: ("module:function", interval in seconds). Each
# is called as fn(db, clock, store) in a transaction of its own (or, marked
# own_transactions, as fn(database, clock, store)), by one worker process at a
# time (see yiwen.worker.jobs).
PERIODIC_JOBS: tuple[tuple[str, float], ...] = (
    ("yiwen.conversations.pipeline:sweep_pending", 5.0),
    ("yiwen.sla.jobs:sweep_sla", 60.0),
    ("yiwen.routing.jobs:drain_waiting_work", 15.0),
    ("yiwen.sla.jobs:sweep_closing", 300.0),
    ("yiwen.bot.service:run_due_followups", 60.0),
    ("yiwen.proactive.announcements.notices:run_announcement_work", 30.0),
    ("yiwen.proactive.care.service:run_proactive_care", 120.0),
    ("yiwen.channels.email.jobs:poll_mailboxes", 60.0),
    ("yiwen.channels.wecom.jobs:run_wecom", 30.0),
    ("yiwen.reports.jobs:queue_scheduled_reports", 60.0),
    ("yiwen.proactive.anomaly.ingest:anomaly_minute_job", 60.0),
    ("yiwen.retention.jobs:run_daily_retention", 24 * 3600.0),
)


def warm_up(settings: Settings) -> None:
    """Build the word segmenter (jieba's dictionary, seconds of CPU) and train the bot's
    model before the first customer message needs them: WeChat gives an answer 5 s, and
    the first message's reactions (the search index) would otherwise wait for it. Both
    are kept for the process's life, so calling this again costs nothing."""
    if settings.bot_enabled:
        from yiwen.bot.nlu import warm_up as warm_up_bot

        warm_up_bot()
    else:
        from yiwen.bot.segment import cut

        cut("预热")


def import_models() -> None:
    """Load every table into ``Base.metadata`` (migrations and tests need all of them)."""
    for name in MODEL_MODULES:
        importlib.import_module(name)


def routers() -> list[APIRouter]:
    found: list[APIRouter] = []
    for name in ROUTER_MODULES:
        module = importlib.import_module(name)
        found.extend(module.ROUTERS if hasattr(module, "ROUTERS") else [module.router])
    return found


def install_reactions() -> None:
    """Subscribe every feature's in-transaction reactions (safe to call more than once)."""
    for name in REACTION_MODULES:
        install: Callable[[], None] = importlib.import_module(name).install_reactions
        install()


def build_worker(
    database: Database,
    settings: Settings,
    clock: Clock,
    store: Callable[[], StoreConnector] | None = None,
    jobs: tuple[tuple[str, float], ...] | None = None,
) -> Worker:
    """The worker with the configured notifiers and ``jobs`` (default ``PERIODIC_JOBS``).

    Also tells the notify rules which customer channels can be pushed to, so
    they queue nothing an adapter could not deliver. ``store`` defaults to a
    connector of the worker's own, built on first use.
    """
    import threading

    from yiwen.channels.registry import build_dispatchers
    from yiwen.notify.registry import CHANNEL_ADAPTERS, build_notifiers
    from yiwen.notify.rules import PUSH_CHANNELS
    from yiwen.reports.mailer import report_notifiers
    from yiwen.store.registry import build_store
    from yiwen.worker.jobs import load_jobs
    from yiwen.worker.runner import Worker

    adapters = {**CHANNEL_ADAPTERS, **build_dispatchers(database, settings, clock)}
    database.context[PUSH_CHANNELS] = frozenset(adapters)
    built: list[StoreConnector] = []
    lock = threading.Lock()

    def own_store() -> StoreConnector:
        with lock:
            if not built:
                built.append(build_store(settings, clock))
            return built[0]

    return Worker(
        database,
        clock,
        settings,
        build_notifiers(settings, clock, database, channel_adapters=adapters)
        | report_notifiers(settings, clock, database),
        load_jobs(PERIODIC_JOBS if jobs is None else jobs),
        store=store or own_store,
    )
