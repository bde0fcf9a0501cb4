"""The collision notice: agents tell each other who is viewing or typing in a conversation.

A console announces itself on the staff WebSocket (``{"type": "presence",
"conversation_id": …, "state": "viewing" | "typing" | "left"}``); the server
stamps who sent it and relays it to the staff stream through the realtime hub's
``publish``, the one call a Redis fan-out replaces when several processes serve.
Nothing is remembered on the server: viewers repeat "viewing" every 10 s, and
each console drops what it has not heard again in time (viewing after 25 s,
typing after 6 s), so a closed tab or a dead process fades out by itself.

Every subscriber of the staff stream holds ``inbox.read``, which is what reading
any conversation takes; the customer's stream never carries these events.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from typing import Literal, get_args

from yiwen.core.clock import Clock

PRESENCE_EVENT = "staff.presence"
PresenceState = Literal["viewing", "typing", "left"]
STATES: frozenset[str] = frozenset(get_args(PresenceState))
CONVERSATION_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
# A console sends a "viewing" every 10 s and "typing" at most every 2 s; a burst above
# this is a broken or hostile client, whose frames are dropped, not relayed.
BURST = 8
REFILL_PER_SECOND = 1.0
MAX_FRAME_CHARS = 512


@dataclass
class PresenceRelay:
    """Turns one agent's socket frames into staff events, stamped with who sent them."""

    agent_id: str
    agent_name: str
    clock: Clock
    tokens: float = BURST
    refilled_at: float = field(default_factory=time.monotonic)

    def event_for(self, text: str) -> dict[str, object] | None:
        """The event to relay for a frame, or None for anything malformed or over the rate."""
        if len(text) > MAX_FRAME_CHARS or not self._take_token():
            return None
        try:
            frame = json.loads(text)
        except ValueError:
            return None
        if not isinstance(frame, dict) or frame.get("type") != "presence":
            return None
        conversation_id = frame.get("conversation_id")
        state = frame.get("state")
        if not isinstance(conversation_id, str) or not CONVERSATION_ID.match(conversation_id):
            return None
        if state not in STATES:
            return None
        return {
            "type": PRESENCE_EVENT,
            "conversation_id": conversation_id,
            "agent_id": self.agent_id,
            "agent_name": self.agent_name,
            "state": state,
            "at": self.clock.now().isoformat(),
        }

    def _take_token(self) -> bool:
        now = time.monotonic()
        self.tokens = min(BURST, self.tokens + (now - self.refilled_at) * REFILL_PER_SECOND)
        self.refilled_at = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True
