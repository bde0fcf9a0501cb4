"""Forwarding a realtime topic to one WebSocket client."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from fastapi import WebSocket
from starlette.websockets import WebSocketDisconnect

from yiwen.conversations.realtime import RealtimeHub


async def stream_topic(
    websocket: WebSocket,
    hub: RealtimeHub,
    topic: str,
    on_text: Callable[[str], None] | None = None,
) -> None:
    """Accept the socket and forward the topic's events until the client goes away.

    Frames from the client are handed to ``on_text`` when given (it must not block:
    it runs on the event loop); otherwise they only show the client is alive.
    """
    queue = hub.subscribe(topic)
    await websocket.accept()
    await websocket.send_json({"type": "ready", "topic": topic.split(":", 1)[0]})

    async def receive() -> None:
        with contextlib.suppress(WebSocketDisconnect):
            while True:
                text = await websocket.receive_text()
                if on_text is not None:
                    on_text(text)

    receiver = asyncio.create_task(receive())
    try:
        while not receiver.done():
            getter = asyncio.create_task(queue.get())
            done, _ = await asyncio.wait({getter, receiver}, return_when=asyncio.FIRST_COMPLETED)
            if getter in done:
                await websocket.send_json(getter.result())
            else:
                getter.cancel()
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        receiver.cancel()
        hub.unsubscribe(topic, queue)
