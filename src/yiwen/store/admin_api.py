"""Admin routes for the store connector: what is configured, and a live health check."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from yiwen.auth.models import StaffUser
from yiwen.auth.permissions import CONNECTOR_MANAGE
from yiwen.core.clock import Clock
from yiwen.http.deps import AppClock, AppSettings, get_store, require_permission
from yiwen.http.ratelimit import limit_by_client
from yiwen.store.settings_view import check_connector, describe_connector, failure_text

router = APIRouter(prefix="/api/v1/admin/connector", tags=["store connector admin"])

Manager = Annotated[StaffUser, Depends(require_permission(CONNECTOR_MANAGE))]
WHERE_CONFIGURED = "服务进程的环境变量 YIWEN_*（见 docs/connectors.md）；修改后重启服务生效"


class ConnectorTest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    order_no: str | None = Field(
        default=None, min_length=4, max_length=64, pattern=r"^[A-Za-z0-9_\-]+$"
    )


def _store(request: Request) -> tuple[object | None, str | None]:
    """The connector the app serves with; a misconfigured one is reported, not raised."""
    try:
        return get_store(request), None
    except Exception as exc:
        return None, failure_text(exc)


@router.get("")
def show_connector(request: Request, settings: AppSettings, manager: Manager) -> dict[str, Any]:
    """Kind, base URL (password masked), each setting (secrets only as set/not set) and
    the actions the shop supports. Changing them is done in the environment."""
    store, error = _store(request)
    view = describe_connector(settings, store, error)
    return {**asdict(view), "configured_in": WHERE_CONFIGURED}


@router.post("/test", dependencies=[Depends(limit_by_client(limit=20, window_seconds=60))])
def test_connector(
    request: Request,
    clock: AppClock,
    manager: Manager,
    body: ConnectorTest | None = None,
) -> dict[str, Any]:
    """A real call to the shop, timed: ``ok`` with the latency, or ``ok: false`` and why.

    The shop being down is the answer of a successful test (200), never a server error.
    """
    store, error = _store(request)
    tested_at = _now(clock)
    if store is None:
        return {
            "ok": False,
            "latency_ms": None,
            "error": error,
            "checks": [],
            "tested_at": tested_at,
        }
    result = check_connector(store, order_no=body.order_no if body else None)
    return {**asdict(result), "tested_at": tested_at}


def _now(clock: Clock) -> str:
    return clock.now().isoformat()
