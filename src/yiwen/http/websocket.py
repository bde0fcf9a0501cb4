"""Forwarding a realtime topic to one WebSocket client."""

from __future__ import annotations

import asyncio
import contextlib

from fastapi import WebSocket
from starlette.websockets import WebSocketDisconnect

from yiwen.conversations.realtime import RealtimeHub


async def stream_topic(websocket: WebSocket, hub: RealtimeHub, topic: str) -> None:
    """Accept the socket and forward the topic's events until the client goes away.

    Frames from the client are read only to notice a disconnect (and as pings).
    """
    queue = hub.subscribe(topic)
    await websocket.accept()
    await websocket.send_json({"type": "ready", "topic": topic.split(":", 1)[0]})

    async def receive() -> None:
        with contextlib.suppress(WebSocketDisconnect):
            while True:
                await websocket.receive_text()

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
