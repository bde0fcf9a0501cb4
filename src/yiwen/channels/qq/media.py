"""Images customers send on QQ, fetched from the URL in the segment as evidence.

The URL comes from the event, that is from whoever can post to the webhook,
so it is fetched only from the account's allowed hosts (QQ's image CDN by
default) and through the SSRF guard of :mod:`yiwen.notify.ssrf`: every address
the name resolves to must be public (unless the account allows private ones,
for an implementation that serves images itself on the LAN), the request goes
to the checked address, redirects are not followed and the size is capped.
"""

from __future__ import annotations

import httpx

from yiwen.channels.protocol import AccountView
from yiwen.core.errors import DomainError
from yiwen.notify.ssrf import check_url_form, resolve_url

# QQ NT serves images from multimedia.nt.qq.com.cn, older builds from *.qpic.cn.
DEFAULT_MEDIA_HOSTS = ("multimedia.nt.qq.com.cn", "qpic.cn")
TIMEOUT_SECONDS = 10.0


class MediaNotFetched(Exception):
    """The image was not fetched; the reason goes to the log, a note to the conversation."""


def allowed_hosts(account: AccountView) -> tuple[str, ...]:
    """``media_hosts`` (comma-separated; a name allows its subdomains), else QQ's CDN."""
    configured = [h.strip().lower() for h in account.setting("media_hosts").split(",")]
    hosts = tuple(h for h in configured if h)
    return hosts or DEFAULT_MEDIA_HOSTS


def host_allowed(host: str, hosts: tuple[str, ...]) -> bool:
    host = host.lower().rstrip(".")
    return any(host == allowed or host.endswith("." + allowed) for allowed in hosts)


def fetch_image(account: AccountView, url: str, *, limit: int) -> bytes:
    """The image's bytes, or :class:`MediaNotFetched`."""
    try:
        _scheme, host, _port = check_url_form(url)
    except DomainError as exc:
        raise MediaNotFetched(f"malformed url: {exc.code}") from None
    if not host_allowed(host, allowed_hosts(account)):
        raise MediaNotFetched(f"host {host!r} is not an allowed media host")
    allow_private = account.config.get("media_allow_private") is True
    try:
        target = resolve_url(url, allow_private=allow_private)
    except DomainError as exc:
        raise MediaNotFetched(f"{exc.code} ({host})") from None
    parsed = httpx.URL(target.url)
    pinned = parsed.copy_with(host=str(target.address), port=target.port)
    host_header = target.host if parsed.port is None else f"{target.host}:{target.port}"
    try:
        with (
            httpx.Client(
                timeout=TIMEOUT_SECONDS, follow_redirects=False, trust_env=False
            ) as client,
            client.stream(
                "GET",
                pinned,
                headers={"host": host_header},
                extensions={"sni_hostname": target.host},
            ) as response,
        ):
            if response.status_code != 200:
                raise MediaNotFetched(f"HTTP {response.status_code}")
            data = bytearray()
            for chunk in response.iter_bytes():
                data.extend(chunk)
                if len(data) > limit:
                    raise MediaNotFetched(f"larger than {limit} bytes")
            return bytes(data)
    except httpx.HTTPError as exc:
        raise MediaNotFetched(f"{type(exc).__name__}: {exc}") from None
