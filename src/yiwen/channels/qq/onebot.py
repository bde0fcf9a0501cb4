"""Calls to a OneBot v11 HTTP API (``POST {api_base}/{action}``), failures mapped for the outbox.

OneBot answers a refused token with HTTP 401/403 and an unknown action with
404; a call it understood comes back as 200 with ``status`` ``ok``/``async`` or
``failed`` and a ``retcode``. The retcodes 1400/1401/1403/1404 mirror those
HTTP statuses (bad request, unauthorised, forbidden, not found) and cannot
succeed on a retry; anything else that failed (the implementation lost its QQ
session, QQ's risk control held the message) may, so it is retried within the
outbox's attempts.
"""

from __future__ import annotations

import json

import httpx

from yiwen.channels.protocol import AccountView
from yiwen.notify.protocol import PermanentError, RetriableError

TIMEOUT_SECONDS = 10.0
MAX_RETRY_AFTER = 3600.0
PERMANENT_RETCODES = frozenset({1400, 1401, 1403, 1404})


class OneBotClient:
    """One HTTP client for every account, built on first use."""

    def __init__(self, timeout: float = TIMEOUT_SECONDS) -> None:
        self.timeout = timeout
        self._client: httpx.Client | None = None

    def call(self, account: AccountView, action: str, params: dict[str, object]) -> object:
        """The action's ``data``; raises RetriableError / PermanentError."""
        api_base = account.setting("api_base").rstrip("/")
        if not api_base.startswith(("http://", "https://")):
            raise PermanentError(f"qq account {account.id} has no OneBot api_base")
        headers = {"content-type": "application/json; charset=utf-8"}
        token = account.secret("access_token")
        if token:
            headers["authorization"] = f"Bearer {token}"
        if self._client is None:
            self._client = httpx.Client(
                timeout=self.timeout, follow_redirects=False, trust_env=False
            )
        body = json.dumps(params, ensure_ascii=False, separators=(",", ":")).encode()
        try:
            response = self._client.post(f"{api_base}/{action}", content=body, headers=headers)
        except httpx.TransportError as exc:
            raise RetriableError(f"onebot {action}: {type(exc).__name__}: {exc}") from exc
        return read_response(action, response)


def read_response(action: str, response: httpx.Response) -> object:
    status = response.status_code
    if status in (401, 403):
        raise PermanentError(f"onebot {action}: HTTP {status}, access_token refused")
    if status == 404:
        raise PermanentError(f"onebot {action}: HTTP 404, action not supported")
    if status == 429 or status >= 500 or status == 408:
        raise RetriableError(f"onebot {action}: HTTP {status}", delay=_retry_after(response))
    if status != 200:
        raise PermanentError(f"onebot {action}: HTTP {status}")
    try:
        document = response.json()
    except ValueError:
        raise RetriableError(f"onebot {action}: the answer is not JSON") from None
    if not isinstance(document, dict):
        raise RetriableError(f"onebot {action}: unexpected answer")
    if document.get("status") in ("ok", "async"):
        return document.get("data")
    retcode = document.get("retcode")
    detail = document.get("wording") or document.get("message") or document.get("msg") or ""
    reason = f"onebot {action}: retcode {retcode} {detail}".strip()
    if isinstance(retcode, int) and retcode in PERMANENT_RETCODES:
        raise PermanentError(reason)
    raise RetriableError(reason)


def _retry_after(response: httpx.Response) -> float | None:
    try:
        seconds = float(response.headers.get("retry-after", ""))
    except ValueError:
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)
