"""What one WebSocket frame to a widget or a console holds: one event, or a batch of them.

Events that are ready for a socket at the same moment (a buyer's line and the
bot's answer to it, or an agent console's burst) go in one frame: each frame
costs the desk a write to its socket, and the balancer in front of it and the
buyer's browser a wake-up each. A lone event is sent as it is; several as
{"type": "batch", "events": [...]}, which the widget, the console and every
client here unpack in order.
"""
from __future__ import annotations

from typing import Any, Dict, List

BATCH = "batch"
# A console that fell behind gets its backlog in frames of this many events at most,
# so no one frame grows to the size of the socket's whole queue.
MOST_EVENTS_IN_A_FRAME = 50


def frame_of(events: List[Dict[str, Any]]) -> Dict[str, Any]:
    """The frame for events taken from a socket's queue together (at least one)."""
    return events[0] if len(events) == 1 else {"type": BATCH, "events": events}


def events_in(frame: Any) -> List[Dict[str, Any]]:
    """The events a frame from the desk holds, in order (for clients written in Python)."""
    if isinstance(frame, dict) and frame.get("type") == BATCH and isinstance(frame.get("events"), list):
        return [event for event in frame["events"] if isinstance(event, dict)]
    return [frame] if isinstance(frame, dict) else []
