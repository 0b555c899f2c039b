"""How fast one buyer's socket, and one address, may send lines and open chats.

Token buckets: each key holds up to `burst` tokens and earns `per_second` more; a line
(or a new chat) spends one. A refused line is not stored and not answered; the buyer's
widget is told "发送太频繁,请稍后再试" with how long to wait, keeps the line and sends
it again then (nothing is silently dropped). The counts are each desk replica's own;
nginx's `limit_req` caps an address across replicas (deploy/).

The address is the one Sanic reports: the peer's, or with DESK_PROXIES set (behind
nginx), the one nginx forwards in X-Forwarded-For.
"""
from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable, Tuple

KEYS_KEPT = 50_000  # a flood of addresses cannot grow the desk's memory without bound
TOO_FAST = "发送太频繁,请稍后再试"


@dataclass(frozen=True)
class Rate:
    burst: float
    per_second: float


class Buckets:
    """Token buckets by key; `spend(key)` is 0 when allowed, else the seconds to wait."""

    def __init__(self, rate: Rate, clock: Callable[[], float] = time.monotonic, keys_kept: int = KEYS_KEPT):
        self.rate, self.clock, self.keys_kept = rate, clock, keys_kept
        self._buckets: "OrderedDict[str, Tuple[float, float]]" = OrderedDict()  # key -> (tokens, at)

    def spend(self, key: str) -> float:
        now = self.clock()
        tokens, at = self._buckets.pop(key, (self.rate.burst, now))
        tokens = min(self.rate.burst, tokens + (now - at) * self.rate.per_second)
        if tokens >= 1:
            self._buckets[key] = (tokens - 1, now)
            wait = 0.0
        else:
            self._buckets[key] = (tokens, now)
            wait = (1 - tokens) / self.rate.per_second if self.rate.per_second > 0 else float("inf")
        while len(self._buckets) > self.keys_kept:
            self._buckets.popitem(last=False)  # the longest unused
        return wait


class BuyerLimits:
    """The desk's limits on buyers: lines per socket and per address, new chats per address."""

    def __init__(self, socket_rate: Rate, address_rate: Rate, chats_rate: Rate,
                 clock: Callable[[], float] = time.monotonic):
        self.socket_rate, self.clock = socket_rate, clock
        self.lines = Buckets(address_rate, clock)
        self.chats = Buckets(chats_rate, clock)

    def for_socket(self) -> Buckets:
        """The bucket of one socket (it lives as long as the socket)."""
        return Buckets(self.socket_rate, self.clock, keys_kept=1)

    def line(self, socket: Buckets, address: str) -> float:
        """0 if a line from this socket and address may go now, else the seconds to wait."""
        return socket.spend("line") or self.lines.spend(address)

    def new_chat(self, address: str) -> float:
        return self.chats.spend(address)
