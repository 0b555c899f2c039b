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


def password_check_pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=PASSWORD_CHECK_THREADS, thread_name_prefix="desk-password")
