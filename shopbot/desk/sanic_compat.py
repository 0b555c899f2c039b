"""Sanic 21.12 WebSockets on Python 3.11.

Rasa 3.6 pins Sanic 21.12, whose WebSocket `recv()` passes a bare coroutine to
`asyncio.wait()`; Python 3.11 refuses that ("Passing coroutines is forbidden"),
so every `ws.recv()` fails. Later Sanic releases wrap it in a task. This gives
Sanic's websocket module alone an `asyncio` whose `wait` does the same, and
leaves everything else untouched.

A task made here belongs to the wait that made it: when that wait is cancelled
(the handler ends while `recv()` waits, as it does for every socket that
closes), the task is cancelled too. Left pending, each one stayed in memory
until a garbage collection found it and asyncio logged "Task was destroyed but
it is pending!" at ERROR, hundreds of times a minute under load.
"""
from __future__ import annotations

import asyncio
import types


async def _wait(aws, *args, **kwargs):
    made = []
    awaitables = []
    for awaitable in aws:
        future = asyncio.ensure_future(awaitable)
        if future is not awaitable:
            made.append(future)
        awaitables.append(future)
    try:
        return await asyncio.wait(awaitables, *args, **kwargs)
    except asyncio.CancelledError:
        for task in made:
            task.cancel()
        raise


def patch_websocket_recv() -> None:
    from sanic.server.websockets import impl

    if getattr(impl.asyncio, "_shopbot_patched", False):
        return
    shim = types.SimpleNamespace(**{name: getattr(asyncio, name) for name in dir(asyncio)
                                    if not name.startswith("__")})
    shim.wait = _wait
    shim._shopbot_patched = True
    impl.asyncio = shim
