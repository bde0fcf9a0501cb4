"""Refuse webhook URLs that point inside the network (SSRF).

Checked when an admin saves an endpoint and again at every send, after DNS
resolution: a name that resolved to a public address yesterday may resolve to
127.0.0.1 today. The send then connects to the address that was checked, not
to a second lookup of the name.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from yiwen.core.errors import InvalidInput

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class ResolvedURL:
    url: str
    scheme: str
    host: str
    port: int
    address: IPAddress


def is_internal(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    # Not global covers the shared (carrier NAT, 100.64/10) and documentation ranges too.
    return (
        not address.is_global
        or address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def check_url_form(url: str) -> tuple[str, str, int]:
    """Scheme http(s), a host, no credentials in the URL; returns (scheme, host, port)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise InvalidInput("webhook_url_invalid") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput("webhook_url_invalid")
    if parts.username or parts.password or any(ch in url for ch in "\r\n\t "):
        raise InvalidInput("webhook_url_invalid")
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80)


def resolve_url(url: str, *, allow_private: bool) -> ResolvedURL:
    """The URL's first acceptable address; every address of the name must be public.

    Raises ``InvalidInput("webhook_url_private")`` for an internal address (unless
    allowed) and ``InvalidInput("webhook_url_unresolvable")`` when DNS has no answer.
    """
    scheme, host, port = check_url_form(url)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise InvalidInput("webhook_url_unresolvable", host=host) from None
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]
    if not addresses:
        raise InvalidInput("webhook_url_unresolvable", host=host)
    if not allow_private and any(is_internal(address) for address in addresses):
        raise InvalidInput("webhook_url_private", host=host)
    return ResolvedURL(url=url, scheme=scheme, host=host, port=port, address=addresses[0])
