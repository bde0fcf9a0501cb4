"""Every API answer says what time it is on the server (``X-Server-Time``, milliseconds
since the epoch, from the app's clock).

The console counts down SLA deadlines and WeChat's 48-hour window from timestamps the
server wrote; an agent's PC whose clock is minutes (or days) off would show them wrong.
The browser keeps the difference between this header and its own clock and counts from
the server's time instead.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from yiwen.core.clock import Clock

SERVER_TIME_HEADER = "x-server-time"
API_PREFIX = "/api/"


class ServerTimeMiddleware:
    """Pure ASGI, like the security headers: WebSockets and streamed files pass through."""

    def __init__(self, app: ASGIApp, clock: Clock) -> None:
        self.app = app
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(API_PREFIX):
            await self.app(scope, receive, send)
            return

        async def send_with_time(message: Message) -> None:
            if message["type"] == "http.response.start":
                millis = round(self.clock.now().timestamp() * 1000)
                MutableHeaders(scope=message)[SERVER_TIME_HEADER] = str(millis)
            await send(message)

        await self.app(scope, receive, send_with_time)
