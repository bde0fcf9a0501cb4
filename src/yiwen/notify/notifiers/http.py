"""One signed JSON POST, with the receiver's answer mapped to retriable or permanent.

Shared by the webhook and SMS-gateway notifiers. Redirects are never followed:
a redirect could lead a checked public URL to an internal one.
"""

from __future__ import annotations

import json

import httpx

from yiwen.notify.protocol import PermanentError, RetriableError
from yiwen.notify.ssrf import ResolvedURL

MAX_RETRY_AFTER = 3600.0


def json_body(document: object) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), default=str).encode()


class SignedPoster:
    """POSTs to checked addresses through one client, built on first use.

    Building an httpx client (its TLS context) costs ~80 ms, a POST to a kept
    connection far less; apps that never send a webhook never pay for one.
    """

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._client: httpx.Client | None = None

    def post(self, target: ResolvedURL, body: bytes, headers: dict[str, str]) -> None:
        """POST to the checked address (Host and TLS name from the URL); raise on failure."""
        if self._client is None:
            self._client = httpx.Client(
                timeout=self.timeout, follow_redirects=False, trust_env=False
            )
        url = httpx.URL(target.url)
        pinned = url.copy_with(host=str(target.address), port=target.port)
        host_header = target.host if url.port is None else f"{target.host}:{target.port}"
        all_headers = {"content-type": "application/json; charset=utf-8", "host": host_header}
        all_headers.update(headers)
        try:
            response = self._client.post(
                pinned,
                content=body,
                headers=all_headers,
                extensions={"sni_hostname": target.host},
            )
        except httpx.TransportError as exc:
            raise RetriableError(f"{type(exc).__name__}: {exc}") from exc
        check_response(response)


def check_response(response: httpx.Response) -> None:
    status = response.status_code
    if 200 <= status < 300:
        return
    if status in (408, 425, 429) or status >= 500:
        raise RetriableError(f"HTTP {status}", delay=_retry_after(response))
    raise PermanentError(f"HTTP {status}")


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "")
    try:
        seconds = float(value)
    except ValueError:
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)
