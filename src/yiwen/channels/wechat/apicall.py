"""Calls to Tencent's JSON APIs (WeChat OA and WeCom share the style): token in the query,
``errcode``/``errmsg`` in the body, HTTP 200 even for errors.

Transport failures and 5xx are worth retrying; an expired or revoked token is
refetched once and the call repeated; every other errcode is left to the
caller, which knows what it means for its API.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from yiwen.channels.wechat.tokens import TOKEN_INVALID_ERRCODES, AccessTokenCache
from yiwen.notify.protocol import PermanentError, RetriableError

TIMEOUT_SECONDS = 10.0
# errcodes that mean "busy, try later" on both platforms, with a pause to wait.
BUSY_ERRCODES: dict[int, float] = {
    -1: 5.0,  # 系统繁忙
    45009: 600.0,  # 接口调用超过限制 (daily quota)
    45011: 60.0,  # API 调用太频繁
    45033: 10.0,  # 接口并发调用超过限制 (WeCom)
}


@dataclass(frozen=True)
class ApiAnswer:
    errcode: int
    errmsg: str
    body: dict[str, object]

    @property
    def ok(self) -> bool:
        return self.errcode == 0


class TencentApi:
    """One HTTP client and one token cache for every account of a platform."""

    def __init__(self, tokens: AccessTokenCache, *, timeout: float = TIMEOUT_SECONDS) -> None:
        self.tokens = tokens
        self.http = httpx.Client(timeout=timeout, follow_redirects=False)

    def close(self) -> None:
        self.http.close()

    def fetch_token(self, url: str, params: dict[str, str]) -> tuple[str, int]:
        """GET a token endpoint; a refusal (bad app id / secret, IP not allowed) is permanent."""
        data = self._json(self.http.get, url, params=params)
        token = data.get("access_token")
        if not isinstance(token, str) or not token:
            answer = _answer(data)
            if answer.errcode in BUSY_ERRCODES:
                raise RetriableError(
                    api_reason("token", answer), delay=BUSY_ERRCODES[answer.errcode]
                )
            raise PermanentError(api_reason("token", answer))
        lifetime = data.get("expires_in", 7200)
        return token, lifetime if isinstance(lifetime, int) else 7200

    def call(
        self,
        token_key: str,
        fetch: Callable[[], tuple[str, int]],
        url: str,
        *,
        json: dict[str, object] | None = None,
        params: dict[str, str] | None = None,
        files: dict[str, tuple[str, bytes, str]] | None = None,
    ) -> ApiAnswer:
        """POST ``json`` (multipart ``files`` for a media upload, GET when neither) with the
        account's token; one refetch on 40001/42001."""
        for attempt in (1, 2):
            token = self.tokens.get(token_key, fetch)
            query = {**(params or {}), "access_token": token}
            if files is not None:
                data = self._json(self.http.post, url, params=query, files=files)
            elif json is None:
                data = self._json(self.http.get, url, params=query)
            else:
                data = self._json(self.http.post, url, params=query, json=json)
            answer = _answer(data)
            if answer.errcode in TOKEN_INVALID_ERRCODES and attempt == 1:
                self.tokens.forget(token_key, token)
                continue
            return answer
        raise AssertionError("unreachable")

    def get_bytes(
        self, url: str, params: dict[str, str], *, limit: int, timeout: float | None = None
    ) -> httpx.Response:
        """A binary download (media); the caller reads the JSON error body when it is one."""
        kwargs: dict[str, Any] = {} if timeout is None else {"timeout": timeout}
        with self.http.stream("GET", url, params=params, **kwargs) as response:
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > limit:
                    raise ValueError("media larger than the upload limit")
                chunks.append(chunk)
            return httpx.Response(
                response.status_code, headers=response.headers, content=b"".join(chunks)
            )

    def _json(
        self, method: Callable[..., httpx.Response], url: str, **kwargs: object
    ) -> dict[str, object]:
        try:
            response = method(url, **kwargs)
        except httpx.HTTPError as exc:
            raise RetriableError(f"{type(exc).__name__} calling {_path(url)}") from exc
        if response.status_code >= 500 or response.status_code == 429:
            raise RetriableError(f"HTTP {response.status_code} from {_path(url)}")
        try:
            data = response.json()
        except ValueError as exc:
            raise RetriableError(
                f"non-JSON answer (HTTP {response.status_code}) from {_path(url)}"
            ) from exc
        if not isinstance(data, dict):
            raise RetriableError(f"unexpected answer from {_path(url)}")
        return data


def raise_for_busy(what: str, answer: ApiAnswer) -> None:
    if answer.errcode in BUSY_ERRCODES or answer.errcode in TOKEN_INVALID_ERRCODES:
        raise RetriableError(api_reason(what, answer), delay=BUSY_ERRCODES.get(answer.errcode))


def _answer(data: dict[str, object]) -> ApiAnswer:
    errcode = data.get("errcode", 0)
    return ApiAnswer(
        errcode=errcode if isinstance(errcode, int) else -1,
        errmsg=str(data.get("errmsg", "")),
        body=data,
    )


def api_reason(what: str, answer: ApiAnswer) -> str:
    return f"{what}: errcode {answer.errcode} ({answer.errmsg})"


def _path(url: str) -> str:
    """The URL without its query, which carries the token or the secret."""
    return url.split("?", 1)[0]
