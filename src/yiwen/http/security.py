"""Browser-facing protections added to every HTTP response, and CORS for the chat widget.

The console, portal and widget render user-written text; the Content-Security-Policy
makes an injected ``<script>`` or ``onerror=`` inert even if a rendering bug let one
through (scripts only from this origin, no inline script, no plugins, no framing).

The widget runs on shops' own pages, so its calls to the customer API are
cross-origin: origins listed in ``widget_allowed_origins`` may call
``/api/v1/customer/…`` (tokens travel in headers, never cookies, so no credentials
are allowed). Everything else stays same-origin.
"""

from __future__ import annotations

from fastapi import FastAPI, Request, Response
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from yiwen.core.i18n import register_messages
from yiwen.core.settings import Settings
from yiwen.http.errors import error_response

register_messages(
    {
        "cors_origin_not_allowed": (
            "该网站未被允许接入在线客服，请联系商家配置",
            "This site is not allowed to embed the chat",
        )
    }
)

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "connect-src 'self' ws: wss:",
        "font-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "strict-origin-when-cross-origin",
    "x-frame-options": "DENY",
}
CUSTOMER_API_PREFIX = "/api/v1/customer/"
# What the widget calls from a shop's own pages: the customer API and the announcement banner.
CORS_PREFIXES = (CUSTOMER_API_PREFIX, "/api/v1/public/announcements")
CORS_METHODS = "GET, POST, OPTIONS"
CORS_HEADERS = "Content-Type, X-Conversation-Token, X-Shop-Token, Accept-Language"
CORS_MAX_AGE = "600"


def normalise_origin(origin: str) -> str:
    return origin.strip().rstrip("/").lower()


class SecurityHeadersMiddleware:
    """Pure ASGI (WebSockets and streamed files pass through untouched)."""

    def __init__(self, app: ASGIApp, allowed_origins: list[str]) -> None:
        self.app = app
        origins = {normalise_origin(o) for o in allowed_origins if o.strip()}
        self.any_origin = "*" in origins
        self.allowed_origins = origins - {"*"}

    def origin_allowed(self, origin: str) -> bool:
        return self.any_origin or normalise_origin(origin) in self.allowed_origins

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_headers = Headers(scope=scope)
        origin = request_headers.get("origin")
        cors_path = scope["path"].startswith(CORS_PREFIXES)
        cors_origin = origin if origin and cors_path and self.origin_allowed(origin) else None
        preflight = (
            cors_path
            and origin is not None
            and scope["method"] == "OPTIONS"
            and "access-control-request-method" in request_headers
        )

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                # A route with a stricter policy of its own (attachments: sandbox) keeps it.
                headers.setdefault("content-security-policy", CONTENT_SECURITY_POLICY)
                if cors_path:
                    headers.add_vary_header("Origin")
                if cors_origin is not None:
                    headers["access-control-allow-origin"] = cors_origin
            await send(message)

        if preflight:
            await _preflight_response(scope, cors_origin)(scope, receive, send_with_headers)
        else:
            await self.app(scope, receive, send_with_headers)


def _preflight_response(scope: Scope, origin: str | None) -> Response:
    """The browser asks before a cross-origin call with custom headers; answer for the shop."""
    if origin is None:
        return error_response(Request(scope), 403, "cors_origin_not_allowed")
    return Response(
        status_code=204,
        headers={
            "access-control-allow-methods": CORS_METHODS,
            "access-control-allow-headers": CORS_HEADERS,
            "access-control-max-age": CORS_MAX_AGE,
        },
    )


def install_security(app: FastAPI, settings: Settings) -> None:
    app.add_middleware(SecurityHeadersMiddleware, allowed_origins=settings.widget_allowed_origins)
