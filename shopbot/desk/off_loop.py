"""Blocking work of the desk (reading training files, a password's scrypt) in a worker thread.

A desk serves every buyer of its replica on one event loop, so whatever blocks
the loop holds up all of their answers for as long as it takes; a password check
is deliberately slow. Password checks get a small pool of their own: a flood of
logins then uses at most that many threads and never delays other work.
"""
from __future__ import annotations

import asyncio
from concurrent.futures import Executor, ThreadPoolExecutor
from functools import partial
from typing import Any, Callable, Optional, TypeVar

T = TypeVar("T")
PASSWORD_CHECK_THREADS = 2  # the logins checked at once; more wait their turn, off the loop


async def in_thread(call: Callable[..., T], *args: Any, executor: Optional[Executor] = None, **kwargs: Any) -> T:
    """`call(*args, **kwargs)` in a worker thread (the loop's default pool unless `executor`)."""
    return await asyncio.get_running_loop().run_in_executor(executor, partial(call, *args, **kwargs))


MAX_QUEUED_CHECKS = 32  # about 0.8 s of scrypt on two threads; more answer "busy" at once


class TooManyChecks(Exception):
    """The password checks' queue is full: answer "busy, try again" rather than queue more."""


class PasswordChecks:
    """The password-check threads, with a bounded queue: random names sent in a loop
    cannot keep both cores hashing while the buyers wait."""

    def __init__(self, threads: int = PASSWORD_CHECK_THREADS, max_queued: int = MAX_QUEUED_CHECKS):
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="desk-password")
        self.max_queued, self.queued = max_queued, 0

    async def run(self, call: Callable[[], T]) -> T:
        if self.queued >= self.max_queued:
            raise TooManyChecks()
        self.queued += 1
        try:
            return await in_thread(call, executor=self.pool)
        finally:
            self.queued -= 1

    def shutdown(self) -> None:
        self.pool.shutdown(wait=False)


def password_check_pool() -> PasswordChecks:
    return PasswordChecks()
