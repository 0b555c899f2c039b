"""Sanic 21.12 WebSockets on Python 3.11.

Rasa 3.6 pins Sanic 21.12, whose WebSocket `recv()` passes a bare coroutine to
`asyncio.wait()`; Python 3.11 refuses that ("Passing coroutines is forbidden"),
so every `ws.recv()` fails. Later Sanic releases wrap it in a task. This gives
Sanic's websocket module alone an `asyncio` whose `wait` does the same, and
leaves everything else untouched.
"""
from __future__ import annotations

import asyncio
import types


async def _wait(aws, *args, **kwargs):
    return await asyncio.wait([asyncio.ensure_future(a) for a in aws], *args, **kwargs)


def patch_websocket_recv() -> None:
    from sanic.server.websockets import impl

    if getattr(impl.asyncio, "_shopbot_patched", False):
        return
    shim = types.SimpleNamespace(**{name: getattr(asyncio, name) for name in dir(asyncio)
                                    if not name.startswith("__")})
    shim.wait = _wait
    shim._shopbot_patched = True
    impl.asyncio = shim
