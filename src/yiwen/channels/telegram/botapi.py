"""Calls to the Telegram Bot API (``{api_base}/bot<token>/<method>``), failures mapped.

Every answer is ``{"ok": …, "result": …}`` or ``{"ok": false, "error_code",
"description", "parameters"}``. A 429 carries ``parameters.retry_after``,
which becomes the outbox's delay; a 403 means the customer blocked the bot (or
deleted their account) and no retry can help; 401/404 mean the bot token is
wrong; 5xx and network failures are retried.
"""

from __future__ import annotations

import json

import httpx

from yiwen.channels.protocol import AccountView
from yiwen.notify.protocol import PermanentError, RetriableError

DEFAULT_API_BASE = "https://api.telegram.org"
TIMEOUT_SECONDS = 15.0
MAX_RETRY_AFTER = 3600.0
Upload = tuple[str, bytes, str]  # filename, bytes, content type


class BotApi:
    """One HTTP client for every bot, built on first use."""

    def __init__(self, timeout: float = TIMEOUT_SECONDS) -> None:
        self.timeout = timeout
        self._client: httpx.Client | None = None

    def call(
        self,
        account: AccountView,
        method: str,
        params: dict[str, object],
        *,
        files: dict[str, Upload] | None = None,
    ) -> object:
        """The method's ``result``; JSON body, or multipart when ``files`` are uploaded."""
        url = f"{api_base(account)}/bot{_token(account)}/{method}"
        try:
            if files:
                fields = {key: _form_value(value) for key, value in params.items()}
                response = self._http().post(url, data=fields, files=files)
            else:
                response = self._http().post(
                    url,
                    content=json.dumps(params, ensure_ascii=False).encode(),
                    headers={"content-type": "application/json"},
                )
        except httpx.TransportError as exc:
            raise RetriableError(f"telegram {method}: {type(exc).__name__}") from exc
        return read_response(method, response)

    def download(self, account: AccountView, file_id: str, *, limit: int) -> bytes:
        """A file a customer sent: ``getFile``, then ``{api_base}/file/bot<token>/<file_path>``."""
        result = self.call(account, "getFile", {"file_id": file_id})
        if not isinstance(result, dict) or not isinstance(result.get("file_path"), str):
            raise PermanentError("telegram getFile: no file_path (file too big for the Bot API?)")
        size = result.get("file_size")
        if isinstance(size, int) and size > limit:
            raise PermanentError(f"telegram file larger than {limit} bytes")
        url = f"{api_base(account)}/file/bot{_token(account)}/{result['file_path']}"
        try:
            with self._http().stream("GET", url) as response:
                if response.status_code != 200:
                    raise RetriableError(f"telegram file download: HTTP {response.status_code}")
                data = bytearray()
                for chunk in response.iter_bytes():
                    data.extend(chunk)
                    if len(data) > limit:
                        raise PermanentError(f"telegram file larger than {limit} bytes")
                return bytes(data)
        except httpx.TransportError as exc:
            raise RetriableError(f"telegram file download: {type(exc).__name__}") from exc

    def _http(self) -> httpx.Client:
        if self._client is None:
            self._client = httpx.Client(
                timeout=self.timeout, follow_redirects=False, trust_env=False
            )
        return self._client


def api_base(account: AccountView) -> str:
    base = account.setting("api_base").strip().rstrip("/") or DEFAULT_API_BASE
    if not base.startswith(("http://", "https://")):
        raise PermanentError(f"telegram account {account.id} has a malformed api_base")
    return base


def read_response(method: str, response: httpx.Response) -> object:
    try:
        document = response.json()
    except ValueError:
        document = None
    if not isinstance(document, dict):
        document = {}
    if response.status_code == 200 and document.get("ok") is True:
        return document.get("result")
    code = document.get("error_code")
    code = code if isinstance(code, int) else response.status_code
    description = str(document.get("description") or f"HTTP {response.status_code}")
    reason = f"telegram {method}: {code} {description}"
    if code == 429:
        raise RetriableError(reason, delay=_retry_after(document))
    if code == 403:
        if "blocked" in description.lower():
            raise PermanentError(f"telegram {method}: the customer blocked the bot ({description})")
        raise PermanentError(
            f"telegram {method}: the bot may not write to this chat ({description})"
        )
    if code in (401, 404):
        raise PermanentError(f"telegram {method}: the bot token was refused ({description})")
    if code >= 500 or response.status_code >= 500 or code == 408:
        raise RetriableError(reason)
    raise PermanentError(reason)


def _retry_after(document: dict[str, object]) -> float | None:
    parameters = document.get("parameters")
    if isinstance(parameters, dict):
        value = parameters.get("retry_after")
        if isinstance(value, int | float) and not isinstance(value, bool):
            return min(max(float(value), 0.0), MAX_RETRY_AFTER)
    return None


def _token(account: AccountView) -> str:
    token = account.secret("bot_token")
    if not token or "/" in token:
        raise PermanentError(f"telegram account {account.id} has no usable bot_token")
    return token


def _form_value(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value)
