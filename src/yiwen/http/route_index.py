"""Requests skip the routers whose paths cannot match theirs.

FastAPI finds a request's route by asking every top-level route in turn, and an
included router asks each of its own routes, with bookkeeping per candidate. With
about forty routers and four hundred routes, that walk was half the CPU a small
request cost (measured with py-spy under bench.bench_vs_helpdesk), and it grows with
every feature. Each top-level route gets a gate in front of its ``matches``: the
literal prefixes of its paths, up to the first parameter. A request whose path starts
with none of them is answered "no match" without asking the router. A route whose
paths cannot be read is left ungated, so a gate can only skip work, never a route.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.routing import BaseRoute, Match, get_route_path
from starlette.types import Scope


def literal_prefix(template: str) -> str:
    """The part of a path template before its first parameter."""
    return template.split("{", 1)[0]


def route_paths(route: object) -> list[str] | None:
    """Every path template ``route`` serves, or None when it cannot tell."""
    path = getattr(route, "path", None)
    if isinstance(path, str):
        return [path] if path else None
    candidates = getattr(route, "effective_candidates", None)
    context = getattr(route, "include_context", None)
    prefix = getattr(context, "prefix", None)
    if not callable(candidates) or not isinstance(prefix, str):
        return None
    paths: list[str] = []
    for candidate in candidates():
        if callable(getattr(candidate, "effective_candidates", None)):
            # A nested router's context already carries the combined prefix.
            found = route_paths(candidate)
        else:
            inner = route_paths(getattr(candidate, "original_route", None))
            found = None if inner is None else [prefix + path for path in inner]
        if found is None:
            return None
        paths.extend(found)
    return paths


def gate_prefixes(route: object) -> tuple[str, ...] | None:
    """The prefixes one of which a path must start with to match ``route``; None when any
    path may (unknown paths, or a template that starts with a parameter)."""
    paths = route_paths(route)
    if not paths:
        return None
    prefixes = {literal_prefix(path) for path in paths}
    if "" in prefixes or "/" in prefixes:
        return None
    return tuple(sorted(prefixes))


def _gated(
    matches: Callable[[Scope], tuple[Match, Scope]], prefixes: tuple[str, ...]
) -> Callable[[Scope], tuple[Match, Scope]]:
    def gated_matches(scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] in ("http", "websocket") and not get_route_path(scope).startswith(
            prefixes
        ):
            return Match.NONE, {}
        return matches(scope)

    gated_matches.__wrapped__ = matches  # type: ignore[attr-defined]
    return gated_matches


def gate_routes(routes: list[BaseRoute]) -> int:
    """Put a gate in front of each route in ``routes`` whose paths are known; returns how
    many got one. Call it once every route is in place."""
    gated = 0
    for route in routes:
        prefixes = gate_prefixes(route)
        if prefixes is None:
            continue
        target: Any = route
        target.matches = _gated(route.matches, prefixes)
        gated += 1
    return gated
