"""Too many wrong passwords for one name: that name's logins wait a while.

Each password is checked with scrypt, so guessing is slow already (a desk checks
two at a time, about 40 a second); this caps the guesses at one agent's
password to MAX_FAILURES per WINDOW. It counts by name, not by address: behind
the load balancer every login comes from the balancer's address, and one
attacker would lock every agent out at once. The price is that someone guessing
at one agent's password keeps that agent out for up to WINDOW; the right
password, once let through, clears the count. Checks still under way count
against the name too: else a burst sent at once would all be let through before
the first of them failed.

A login goes: `admit` (0: check it now, and it counts as under way; else how
many seconds to wait), then exactly one of `failed`, `succeeded` or
`not_checked`. `LoginThrottle` keeps the counts in this process; with several
desk replicas, `RedisLoginThrottle` (shared_login_throttle.py) keeps them in
Redis, so spreading the guesses over the replicas gains nothing.
"""
from __future__ import annotations

import time
from collections import OrderedDict, deque
from typing import Callable, Deque, Dict

MAX_FAILURES = 10
WINDOW = 15 * 60.0
NAMES_KEPT = 10_000  # a flood of made-up names cannot grow the desk's memory without bound


class LoginThrottle:
    """The counts of one process (a single desk, and the fallback of the shared one)."""

    def __init__(self, max_failures: int = MAX_FAILURES, window: float = WINDOW,
                 clock: Callable[[], float] = time.monotonic, names_kept: int = NAMES_KEPT):
        self.max_failures, self.window, self.clock, self.names_kept = max_failures, window, clock, names_kept
        self._failures: "OrderedDict[str, Deque[float]]" = OrderedDict()
        self._checking: Dict[str, int] = {}

    async def close(self) -> None:
        return None

    async def admit(self, username: str) -> float:
        return self.admit_now(username)

    async def failed(self, username: str) -> None:
        self.failed_now(username)

    async def succeeded(self, username: str) -> None:
        self.succeeded_now(username)

    async def not_checked(self, username: str) -> None:
        """A check that could not be made (the database away): it no longer counts, as neither outcome."""
        self.not_checked_now(username)

    # -- the same, for callers without an event loop (and the shared throttle's fallback) -----------
    def admit_now(self, username: str) -> float:
        """0, and the check counts as under way; else how long until this name may try."""
        wait = self.wait_seconds(username)
        if wait == 0:
            self._checking[username] = self._checking.get(username, 0) + 1
        return wait

    def wait_seconds(self, username: str) -> float:
        """0 when this name may try now; else how long until it may."""
        now = self.clock()
        failures = self._failures.get(username, ())
        recent = sum(1 for failed_at in failures if failed_at > now - self.window)
        if recent + self._checking.get(username, 0) < self.max_failures:
            return 0.0
        if recent < self.max_failures:
            return 1.0  # the checks under way decide; ask again when they are done
        return max(0.0, failures[0] + self.window - now)

    def _checked(self, username: str) -> None:
        left = self._checking.pop(username, 0) - 1
        if left > 0:
            self._checking[username] = left

    def failed_now(self, username: str) -> None:
        self._checked(username)
        failures = self._failures.setdefault(username, deque(maxlen=self.max_failures))
        failures.append(self.clock())
        self._failures.move_to_end(username)
        while len(self._failures) > self.names_kept:
            self._failures.popitem(last=False)

    def succeeded_now(self, username: str) -> None:
        self._checked(username)
        self._failures.pop(username, None)

    def not_checked_now(self, username: str) -> None:
        self._checked(username)
