"""The buyer's widget socket (/ws/buyer): a signed hello, the chat's history, then its lines.

The widget sends {"type": "hello", account, ts, sig, conversation_id?, resume?, after?};
the account counts only with the shop's fresh signature (`signing`), else the buyer is
an anonymous visitor. A chat is resumed only by the same buyer: with the chat's own
`resume` token from its welcome, or with a fresh signature of the chat's account. Each line carries the
widget's client_id: the live echo of the stored line is its acknowledgement, and
a resend of a stored line is confirmed to this socket alone, never answered twice.
"""
from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import math
import re
from typing import Any, Optional

from sanic import Blueprint, Request
from sanic.exceptions import WebsocketClosed

from shopbot.desk import signing
from shopbot.desk.hub import conversation_channel
from shopbot.desk.photo_links import chat_viewer, with_photo_urls
from shopbot.desk.rate_limits import TOO_FAST
from shopbot.desk.records import Message
from shopbot.desk.sockets import pump
from shopbot.desk.web import client_address, scrub

logger = logging.getLogger(__name__)
HELLO_SECONDS = 30  # a socket that says nothing valid for this long is closed


def client_id_of(value: Any) -> Optional[str]:
    """The widget's id for a message, as stored (64 characters at most).

    A longer one (no widget sends it) is replaced by its SHA-256, not cut: two
    different ids must not become one, or the second message would be taken
    for a resend of the first.
    """
    if not isinstance(value, str) or not value:
        return None
    return value if len(value) <= 64 else hashlib.sha256(value.encode("utf-8", "replace")).hexdigest()


def count_seen(value: Any) -> int:
    """The hello's `after` (messages the widget already has): a non-negative int within SQLite's range."""
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2 ** 63 else 0


async def resumable(store, hello: dict, account: Optional[str], secret: str):
    """The chat the hello asks to come back to, if this buyer may: with the chat's own token
    (from its welcome), or with a fresh signature of the chat's account. Else None."""
    wanted = hello.get("conversation_id")
    if not isinstance(wanted, str) or not 0 < len(wanted) <= 64:
        return None
    existing = await store.conversation(wanted)
    if existing is None:
        return None
    if signing.may_resume(existing.id, existing.account, hello.get("resume"), secret):
        return existing
    return existing if account is not None and existing.account == account else None


SKU = re.compile(r"[A-Za-z0-9_-]{1,32}")


def sku_of(value) -> Optional[str]:
    """A product code the widget says the buyer is looking at, if it looks like one; else None."""
    return value if isinstance(value, str) and SKU.fullmatch(value) else None


async def send(ws, event: dict) -> None:
    await ws.send(json.dumps(event, ensure_ascii=False))


def buyer_socket_blueprint() -> Blueprint:
    bp = Blueprint("buyer_socket")

    @bp.websocket("/ws/buyer")
    async def buyer_socket(request: Request, ws):
        ctx = request.app.ctx
        try:
            hello = scrub(json.loads(await asyncio.wait_for(ws.recv(), timeout=HELLO_SECONDS)))
        except (asyncio.TimeoutError, ValueError, TypeError, RecursionError, WebsocketClosed) as error:
            logger.info("buyer socket closed before a valid hello: %r", error)
            await ws.close()
            return
        if not isinstance(hello, dict) or hello.get("type") != "hello":
            await send(ws, {"type": "error", "error": "bad hello"})
            await ws.close()
            return
        secret = ctx.cfg.desk_secret
        account = signing.verified_account(hello.get("account"), hello.get("ts"), hello.get("sig"),
                                           secret, ctx.cfg.signature_max_age)
        address = client_address(request)
        conversation = await resumable(ctx.store, hello, account, secret)
        new_chat = conversation is None
        if new_chat:
            wait = ctx.buyer_limits.new_chat(address)
            if wait:
                await send(ws, {"type": "error", "error": TOO_FAST, "retry_after": math.ceil(wait)})
                await ws.close()
                return
            conversation = await ctx.store.create_conversation(account)
        account = conversation.account
        # Subscribe before reading the history: a message stored meanwhile then arrives
        # live instead of being lost (the widget drops what it already has, by id).
        channel = conversation_channel(conversation.id)
        live = ctx.hub.subscribe(channel)
        try:
            await send(ws, {"type": "welcome", "conversation_id": conversation.id, "account": account,
                            "resume": signing.resume_token(conversation.id, account, secret),
                            "state": conversation.state, "shop_name": ctx.shop_name})
            history = [] if new_chat else await ctx.store.transcript(conversation.id,
                                                                     after_id=count_seen(hello.get("after")))
            for message in history:
                await send(ws, {"type": "message", "message": with_photo_urls(
                    message.for_buyer(), chat_viewer(conversation.id), secret)})
        except WebsocketClosed:
            ctx.hub.unsubscribe(channel, live)
            return

        socket_bucket = ctx.buyer_limits.for_socket()
        page = sku_of(hello.get("sku"))  # the product page the widget is on: context, never identity

        async def on_message(raw: str) -> None:
            try:
                data = scrub(json.loads(raw))
            except (ValueError, RecursionError):  # RecursionError: "[[[[..." thousands deep
                await send(ws, {"type": "error", "error": "消息格式不正确"})
                return
            if not isinstance(data, dict) or data.get("type") != "message":
                return
            wait = ctx.buyer_limits.line(socket_bucket, address)
            if wait:  # not stored: the widget keeps the line and sends it again after retry_after
                await send(ws, {"type": "error", "error": TOO_FAST, "client_id": client_id_of(data.get("client_id")),
                                "retry_after": math.ceil(wait)})
                return

            async def confirm_resend(stored: Message) -> None:
                # A new line's live echo tells the widget it is stored; a resend of a stored
                # line gets no echo (it is not delivered twice), so this socket alone is told.
                if stored.duplicate:
                    try:
                        await send(ws, {"type": "message", "message": with_photo_urls(
                            stored.for_buyer(), chat_viewer(conversation.id), secret)})
                    except (WebsocketClosed, ConnectionError):
                        pass  # gone: the next socket gets the message from the transcript

            # Handled to the end even if this socket or this desk goes away meanwhile (a
            # restart drains it): the answer then reaches the buyer's next socket.
            handling = asyncio.ensure_future(ctx.service.buyer_message(
                conversation, data.get("text"), client_id_of(data.get("client_id")), on_stored=confirm_resend,
                page_sku=sku_of(data.get("sku")) or page))
            ctx.in_flight.add(handling)
            handling.add_done_callback(ctx.in_flight.discard)
            await asyncio.shield(handling)  # one message at a time per socket, in order

        await pump(ctx.hub, channel, ws, on_message, queue=live)

    return bp
