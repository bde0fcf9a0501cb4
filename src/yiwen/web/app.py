"""The app factory. Everything the app needs is passed in or built from settings."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from yiwen import __version__
from yiwen.bot.service import BotRunner
from yiwen.conversations.intake import MessageIntake
from yiwen.conversations.pipeline import MessagePipeline
from yiwen.conversations.realtime import RealtimeHub, realtime_fanout
from yiwen.conversations.service import ANNOUNCE_MESSAGE, PIPELINE_WAKE
from yiwen.conversations.wakeups import RedisWakeups
from yiwen.core.clock import Clock, SystemClock
from yiwen.core.db import Database
from yiwen.core.events import DomainEvent, bus
from yiwen.core.settings import Settings, get_settings
from yiwen.http.errors import install_error_handlers
from yiwen.http.route_index import gate_routes
from yiwen.http.security import install_security
from yiwen.http.server_time import ServerTimeMiddleware
from yiwen.store.protocol import StoreConnector
from yiwen.store.registry import build_store
from yiwen.web.static import install_static
from yiwen.wiring import build_worker, import_models, install_reactions, routers, warm_up
from yiwen.worker.runner import EmbeddedWorker

log = logging.getLogger("yiwen.web")


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    database: Database | None = None,
    store: StoreConnector | None = None,
) -> FastAPI:
    settings = settings or get_settings()
    clock = clock or SystemClock()
    import_models()
    database = database or Database(settings.resolved_database_url(), echo=settings.sql_echo)
    database.context.update(clock=clock, settings=settings)
    install_reactions()

    hub = RealtimeHub(realtime_fanout(settings))
    worker = build_worker(database, settings, clock, store=lambda: _app_store(app))
    bot = BotRunner(database, clock, settings, store=lambda: _app_store(app))
    # Deferred reactions run where the periodic jobs run: in this process, or in the
    # `yiwen worker`s, which Redis wakes after each stored batch (otherwise they poll).
    pipeline = MessagePipeline(database, clock)
    wakeups = RedisWakeups(settings.redis_url) if settings.redis_url else None
    wake = pipeline.wake if settings.worker_embedded else (wakeups.notify if wakeups else None)
    if wake is not None:
        database.context[PIPELINE_WAKE] = wake

    def announce(message: dict[str, object], customer_id: str, previous_id: int | None) -> None:
        hub.on_event(
            DomainEvent(
                "message.created",
                {"message": message, "customer_id": customer_id, "previous_id": previous_id},
            )
        )

    database.context[ANNOUNCE_MESSAGE] = announce
    intake = MessageIntake(
        database, clock, wake=wake, announce=announce, max_chars=settings.message_max_chars
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Before the first request, not during it (uvicorn listens once this is done).
        await asyncio.to_thread(warm_up, settings)
        hub.bind(asyncio.get_running_loop())
        bus.subscribe("*", hub.on_event)
        bot.attach()
        if settings.worker_embedded:
            pipeline.start()
        intake.start()
        # Outbox deliveries and periodic jobs, unless separate `yiwen worker`s run them.
        embedded = EmbeddedWorker(worker) if settings.worker_embedded else None
        if embedded is not None:
            embedded.start()
        try:
            yield
        finally:
            if embedded is not None:
                embedded.stop()
            intake.stop()
            pipeline.stop()
            if wakeups is not None:
                wakeups.close()
            bot.detach()
            bus.unsubscribe("*", hub.on_event)
            await hub.close()

    app = FastAPI(
        title="Yiwen 一问",
        version=__version__,
        description="After-sales customer service for virtual-goods shops.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.clock = clock
    app.state.database = database
    app.state.store = store
    app.state.hub = hub
    app.state.bot = bot
    app.state.pipeline = pipeline
    app.state.intake = intake
    app.state.worker = worker
    install_error_handlers(app)
    install_security(app, settings)
    app.add_middleware(ServerTimeMiddleware, clock=clock)
    for router in routers():
        app.include_router(router)
    install_static(app)

    @app.get("/healthz", tags=["ops"])
    def healthz() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    gate_routes(app.router.routes)
    return app


def _app_store(app: FastAPI) -> StoreConnector:
    """The app's shop connector for periodic jobs, built on first use like the routes' one."""
    if app.state.store is None:
        app.state.store = build_store(app.state.settings, app.state.clock)
    store: StoreConnector = app.state.store
    return store
