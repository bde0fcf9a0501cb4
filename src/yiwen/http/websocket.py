"""Forwarding a realtime topic to one WebSocket client."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable

from fastapi import WebSocket
from starlette.websockets import WebSocketDisconnect

from yiwen.conversations.realtime import Frame, RealtimeHub


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

    async def send() -> None:
        while True:
            frame = await queue.get()
            if isinstance(frame, Frame):
                await websocket.send_text(frame.text)
            else:
                await websocket.send_text(json.dumps(frame, ensure_ascii=False, default=str))

    # Two long-lived tasks per socket, not one task per event: whichever ends first
    # (the client went away, or sending failed) ends the other.
    receiver = asyncio.create_task(receive())
    sender = asyncio.create_task(send())
    try:
        await asyncio.wait({receiver, sender}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        receiver.cancel()
        sender.cancel()
        for task in (receiver, sender):
            with contextlib.suppress(
                asyncio.CancelledError, WebSocketDisconnect, RuntimeError, OSError
            ):
                await task
        hub.unsubscribe(topic, queue)
