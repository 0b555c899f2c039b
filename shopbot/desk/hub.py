"""Live events to the open WebSockets: a buyer's widget, the agents' consoles.

In-process by default. With several desk replicas the same interface runs over
Redis pub/sub (production topology), so an agent on one replica sees a buyer
connected to another.
"""
from __future__ import annotations

import asyncio
from collections import defaultdict
from typing import Any, Dict, Set

AGENTS = "agents"


def conversation_channel(conversation_id: str) -> str:
    return f"conversation:{conversation_id}"


class LocalHub:
    def __init__(self) -> None:
        self._subscribers: Dict[str, Set[asyncio.Queue]] = defaultdict(set)

    def subscribe(self, channel: str) -> asyncio.Queue:
        queue: asyncio.Queue = asyncio.Queue(maxsize=1000)
        self._subscribers[channel].add(queue)
        return queue

    def unsubscribe(self, channel: str, queue: asyncio.Queue) -> None:
        self._subscribers[channel].discard(queue)

    async def publish(self, channel: str, event: Dict[str, Any]) -> None:
        for queue in list(self._subscribers.get(channel, ())):
            if not queue.full():  # a stuck socket must not block the others; it resyncs on reconnect
                queue.put_nowait(event)
