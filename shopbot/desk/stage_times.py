"""How long each step of a bot answer takes inside one desk, kept for operators and the load bench.

When answers slow down, the first question is which step grew: storing the
buyer's line, Rasa's answer, or storing and delivering that answer. Every desk
keeps the latest durations of each step and reports their percentiles
(GET /api/stats/stages). What a buyer waits beyond "whole" is spent outside
the desk: the socket, the load balancer, the buyer's own connection.
"""
from __future__ import annotations

import time
from collections import deque
from typing import Deque, Dict, Iterable

# store_line: the buyer's line stored, delivered, and the chat's state read, before Rasa is asked.
# rasa: Rasa's answer, from asking to having it (resends to another replica included).
# answer: the bot's replies stored and handed to the sockets (or the handoff made).
# whole: from the line arriving to the answer handed to the sockets.
STAGES = ("store_line", "rasa", "answer", "whole")


def percentile_ms(seconds: Iterable[float], fraction: float) -> float:
    """The `fraction`-th of the sorted durations, in milliseconds (NaN when there are none)."""
    ordered = sorted(seconds)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000 if ordered else float("nan")


class StageTimes:
    """The latest `keep` durations of each stage, and how many were ever recorded.

    Bounded, so a desk that runs for weeks holds the same few thousand floats;
    percentiles then describe the recent past, which is what an operator asks about.
    """

    def __init__(self, keep: int = 5000):
        self._recent: Dict[str, Deque[float]] = {stage: deque(maxlen=keep) for stage in STAGES}
        self._counts: Dict[str, int] = dict.fromkeys(STAGES, 0)
        self.since = time.time()

    def record(self, stage: str, seconds: float) -> None:
        self._recent[stage].append(seconds)
        self._counts[stage] += 1

    def summary(self) -> Dict[str, Dict[str, float]]:
        """Per stage: count (all time), p50_ms and p95_ms over the kept durations (None before any)."""
        return {stage: {"count": self._counts[stage],
                        "p50_ms": percentile_ms(recent, 0.50) if recent else None,
                        "p95_ms": percentile_ms(recent, 0.95) if recent else None}
                for stage, recent in self._recent.items()}
