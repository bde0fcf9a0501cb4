"""Where the pieces meet: every model module, the routers and the event listeners."""

from __future__ import annotations

import importlib
from collections.abc import Callable

from fastapi import APIRouter

MODEL_MODULES = (
    "yiwen.auth.models",
    "yiwen.auth.audit",
    "yiwen.customers.models",
    "yiwen.conversations.models",
    "yiwen.attachments.models",
    "yiwen.tickets.models",
    "yiwen.workspace.models",
)

ROUTER_MODULES = (
    "yiwen.auth.api",
    "yiwen.conversations.api",
    "yiwen.tickets.api",
    "yiwen.store.api",
    "yiwen.workspace.api",
    "yiwen.workspace.orders_api",
)


# Modules whose ``install_reactions()`` subscribes their in-transaction event
# reactions (see yiwen.core.events). Each install must be idempotent.
REACTION_MODULES: tuple[str, ...] = ()


def import_models() -> None:
    """Load every table into ``Base.metadata`` (migrations and tests need all of them)."""
    for name in MODEL_MODULES:
        importlib.import_module(name)


def routers() -> list[APIRouter]:
    found: list[APIRouter] = []
    for name in ROUTER_MODULES:
        module = importlib.import_module(name)
        found.extend(getattr(module, "ROUTERS", [module.router]))
    return found


def install_reactions() -> None:
    """Subscribe every feature's in-transaction reactions (safe to call more than once)."""
    for name in REACTION_MODULES:
        install: Callable[[], None] = importlib.import_module(name).install_reactions
        install()
