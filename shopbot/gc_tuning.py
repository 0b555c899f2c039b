"""Keep Python's full garbage collections short in our long-running servers.

A server holds hundreds of thousands of objects it made while starting
(TensorFlow, the loaded model, the modules; the log line below counts them), and
CPython's oldest-generation collection walks every one of them while the process
answers nobody, for garbage that is almost all made per message: every buyer
whose message is in flight waits out the pause.

Once a server has started, what it made while starting lives as long as the
process. `gc.freeze()` moves it out of the collector's sight, so later
collections walk only what was made since: requests, trackers, replies. Called
once per process, after start-up (the model loaded, the routes built); objects
frozen are never freed, so nothing here runs again per request.
"""
from __future__ import annotations

import gc
import logging
import time

logger = logging.getLogger(__name__)


def freeze_startup_heap(server: str) -> int:
    """Collect once, then exempt every surviving object from future collections; returns how many."""
    started = time.perf_counter()
    gc.collect()
    gc.freeze()
    frozen = gc.get_freeze_count()
    logger.info("%s: %d start-up objects exempted from garbage collection (%.0f ms)",
                server, frozen, 1000 * (time.perf_counter() - started))
    return frozen


def freeze_after_start(server: str):
    """A Sanic `after_server_start` listener that freezes the start-up heap of `server`."""
    async def freeze(_app, _loop) -> None:
        freeze_startup_heap(server)
    return freeze
