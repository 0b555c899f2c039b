"""The desk's WebSockets: the pump every socket runs, and the agents' live feed (/ws/agent)."""
from __future__ import annotations

import asyncio
import json
import logging
from typing import Awaitable, Callable, Optional

from sanic import Blueprint, Request
from sanic.exceptions import WebsocketClosed

from shopbot.desk.auth import current_user, may
from shopbot.desk.frames import MOST_EVENTS_IN_A_FRAME, frame_of
from shopbot.desk.hub import AGENTS

logger = logging.getLogger(__name__)
SESSION_CHECK_SECONDS = 2.0


async def pump(hub, channel: str, ws, on_message: Optional[Callable[[str], Awaitable[None]]],
               queue: Optional[asyncio.Queue] = None) -> None:
    """Forward hub events to the socket and socket messages to `on_message` until it closes.

    Events that are waiting together leave in one frame (see frames).
    """
    queue = queue if queue is not None else hub.subscribe(channel)

    async def outgoing() -> None:
        while True:
            events = [await queue.get()]
            while not queue.empty() and len(events) < MOST_EVENTS_IN_A_FRAME:
                events.append(queue.get_nowait())
            await ws.send(json.dumps(frame_of(events), ensure_ascii=False))

    sender = asyncio.ensure_future(outgoing())
    try:
        while True:
            raw = await ws.recv()
            if raw is None:
                break
            if on_message is not None:
                await on_message(raw)
    except (WebsocketClosed, asyncio.CancelledError):
        pass
    except Exception:  # never takes the desk down; the widget reconnects and resends what is unconfirmed
        logger.exception("closing a socket of %s after an error", channel)
    finally:
        sender.cancel()
        hub.unsubscribe(channel, queue)


async def close_when_session_ends(request: Request, ws) -> None:
    """Close the feed within SESSION_CHECK_SECONDS of its session ending (logout, expiry, a
    password reset, a role taken away): what the feed shows is every buyer's words."""
    while True:
        await asyncio.sleep(SESSION_CHECK_SECONDS)
        try:
            user = await current_user(request)
        except Exception:  # noqa: BLE001 - the store away: keep the feed, check again
            logger.warning("could not check an agent feed's session", exc_info=True)
            continue
        if not may(user, "agent"):
            try:
                await ws.send(json.dumps({"type": "error", "error": "登录已失效", "status": 401},
                                         ensure_ascii=False))
                await ws.close()
            except (WebsocketClosed, ConnectionError):
                pass
            return


def agent_socket_blueprint() -> Blueprint:
    bp = Blueprint("agent_socket")

    @bp.websocket("/ws/agent")
    async def agent_socket(request: Request, ws):
        """Every chat's events, live, for a logged-in console."""
        user = await current_user(request)
        if user is None or not may(user, "agent"):
            refusal = {"error": "请先登录", "status": 401} if user is None else {"error": "没有权限", "status": 403}
            await ws.send(json.dumps({"type": "error", **refusal}, ensure_ascii=False))
            await ws.close()
            return
        hub = request.app.ctx.hub
        hub.agent_connected(user["username"], +1)
        watch = asyncio.ensure_future(close_when_session_ends(request, ws))
        try:
            await pump(hub, AGENTS, ws, on_message=None)
        finally:
            watch.cancel()
            hub.agent_connected(user["username"], -1)

    return bp
