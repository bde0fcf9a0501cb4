"""The embedded demo shop: its database, its clock, idempotent actions and failure injection.

The shop is a separate system from Yiwen (own database URL, own schema). Tests
and simulations drive it through :meth:`DemoShop.set_supplier_behaviour` and
:meth:`DemoShop.force_next_push_outcome`, and find orders of each kind of
trouble through :meth:`DemoShop.example_orders`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from yiwen.core.clock import Clock
from yiwen.core.db import Database
from yiwen.core.errors import Conflict, InvalidInput
from yiwen.store.connectors.demo.models import (
    IdempotencyRecord,
    ShopOrder,
    Supplier,
    create_schema,
    drop_schema,
)
from yiwen.store.connectors.demo.upstream import (
    FORCED_OUTCOMES,
    ForcedOutcome,
    has_due_pushes,
    settle_due_pushes,
)
from yiwen.store.protocol import ActionName, ActionResult

MAX_KEY_LENGTH = 200
Perform = Callable[[Session, datetime], ActionResult]


@dataclass(frozen=True)
class ExampleOrder:
    """One order of a named case (``push_failed``, ``key_used``…) and how to find it."""

    case: str
    order_no: str
    contact: str | None
    shop_user_id: str | None


class DemoShop:
    """The shop's system of record. ``seed`` makes supplier outcomes reproducible."""

    def __init__(self, database: Database, clock: Clock, *, seed: int = 0) -> None:
        self.database = database
        self.clock = clock
        self.seed = seed

    @classmethod
    def open(cls, url: str, clock: Clock, *, seed: int = 0) -> DemoShop:
        """Connect to the shop database, creating the file's folder and the tables if missing."""
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        database = Database(url)
        create_schema(database.engine)
        return cls(database, clock, seed=seed)

    def close(self) -> None:
        self.database.dispose()

    def wipe(self) -> None:
        """Drop and recreate every shop table (the generator's ``reset``)."""
        drop_schema(self.database.engine)
        create_schema(self.database.engine)

    def order_count(self) -> int:
        with self.database.reading() as session:
            return session.scalar(select(func.count()).select_from(ShopOrder)) or 0

    def settle(self) -> None:
        """Apply supplier answers that are due, so every read sees the shop as of now."""
        now = self.clock.now()
        with self.database.reading() as session:
            if not has_due_pushes(session, now):
                return
        with self.database.transaction() as session:
            settle_due_pushes(session, now, seed=self.seed)

    def perform(
        self, action: ActionName, idempotency_key: str, request: dict[str, str], run: Perform
    ) -> ActionResult:
        """Run an action once per key, in one transaction, replaying the first result after.

        The key is claimed (inserted) before the action runs: a concurrent request
        with the same key waits on it (or fails on the unique key and retries) and
        then replays. A refused action rolls back its claim, so it may be retried.
        The free-text reason is left out of the request's fingerprint: a retry
        with reworded reason is the same request.
        """
        if not 0 < len(idempotency_key) <= MAX_KEY_LENGTH:
            raise InvalidInput("invalid_idempotency_key")
        fingerprint = _fingerprint(action, request)
        try:
            return self._perform_once(action, idempotency_key, fingerprint, run)
        except IntegrityError:
            # A concurrent request claimed the same key first; its record is there now.
            return self._perform_once(action, idempotency_key, fingerprint, run)

    def _perform_once(
        self, action: ActionName, idempotency_key: str, fingerprint: str, run: Perform
    ) -> ActionResult:
        with self.database.transaction() as session:
            now = self.clock.now()
            settle_due_pushes(session, now, seed=self.seed)
            record = session.get(IdempotencyRecord, idempotency_key)
            if record is not None:
                return _replay(record, action, fingerprint)
            record = IdempotencyRecord(
                key=idempotency_key,
                action=action,
                fingerprint=fingerprint,
                result="",
                created_at=now,
            )
            session.add(record)
            session.flush()
            result = run(session, now)
            record.result = json.dumps(_result_to_json(result), ensure_ascii=False)
            return result

    def set_supplier_behaviour(
        self,
        supplier: str,
        *,
        failure_rate: float | None = None,
        latency_seconds: int | None = None,
    ) -> None:
        """Change how a supplier (by id or name) answers pushes sent from now on.

        ``failure_rate`` is the probability (0..1) that a push fails, drawn from
        the shop's seeded RNG; ``latency_seconds`` is its typical answer time
        (each push takes 0.5x to 1.5x of it).
        """
        if failure_rate is not None and not 0.0 <= failure_rate <= 1.0:
            raise ValueError("failure_rate must be between 0 and 1")
        if latency_seconds is not None and latency_seconds < 0:
            raise ValueError("latency_seconds must not be negative")
        with self.database.transaction() as session:
            row = _supplier(session, supplier)
            if failure_rate is not None:
                row.failure_rate = failure_rate
            if latency_seconds is not None:
                row.latency_seconds = latency_seconds

    def force_next_push_outcome(self, supplier: str, outcome: ForcedOutcome) -> None:
        """Decide the supplier's next push regardless of its failure rate.

        ``"failed"`` fails after the usual latency with a supplier error text;
        ``"succeeded"`` succeeds after it; ``"slow"`` stays processing for at least
        30 minutes (and at least 20x the latency) and then succeeds, so it is
        "stuck" and may be re-pushed before it answers. Only the
        next push is affected; a second call before it replaces the first.
        """
        if outcome not in FORCED_OUTCOMES:
            raise ValueError(f"outcome must be one of {FORCED_OUTCOMES}")
        with self.database.transaction() as session:
            _supplier(session, supplier).forced_outcome = outcome

    def example_orders(self) -> dict[str, ExampleOrder]:
        """The newest order of every generated case, preferring orders of logged-in users."""
        with self.database.reading() as session:
            scenarios = session.scalars(select(ShopOrder.scenario).distinct()).all()
            examples = {}
            for case in sorted(scenarios):
                order = session.scalars(
                    select(ShopOrder)
                    .where(ShopOrder.scenario == case)
                    .order_by(
                        ShopOrder.shop_user_id.is_(None),
                        ShopOrder.created_at.desc(),
                        ShopOrder.order_no,
                    )
                    .limit(1)
                ).one()
                examples[case] = ExampleOrder(
                    case=case,
                    order_no=order.order_no,
                    contact=order.contact,
                    shop_user_id=order.shop_user_id,
                )
            return examples


def _supplier(session: Session, supplier: str) -> Supplier:
    row = (
        session.get(Supplier, supplier)
        or session.scalars(select(Supplier).where(Supplier.name == supplier)).first()
    )
    if row is None:
        raise ValueError(f"unknown supplier {supplier!r}")
    return row


def _fingerprint(action: str, request: dict[str, str]) -> str:
    canonical = json.dumps({"action": action, **request}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _replay(record: IdempotencyRecord, action: str, fingerprint: str) -> ActionResult:
    if record.action != action or record.fingerprint != fingerprint:
        raise Conflict("idempotency_key_reused")
    return replace(_result_from_json(json.loads(record.result)), replayed=True)


def _result_to_json(result: ActionResult) -> dict[str, object]:
    data = asdict(result)
    data["amount"] = None if result.amount is None else str(result.amount)
    return data


def _result_from_json(data: dict[str, Any]) -> ActionResult:
    return ActionResult(
        action=data["action"],
        order_no=data["order_no"],
        reference=data["reference"],
        status=data["status"],
        detail=dict(data["detail"]),
        amount=None if data["amount"] is None else Decimal(data["amount"]),
    )
