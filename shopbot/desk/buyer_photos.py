"""Buyers' photos over HTTP: the widget uploads one (POST /api/buyer/photos), pages fetch one (GET /photos/...).

An upload is the image's bytes as the body, for the chat named in `X-Conversation-Id`
and proven by that chat's own `X-Resume-Token` (from its welcome): the same proof
that lets a widget come back to its chat, so nobody uploads into another buyer's chat.
The body is read in chunks and refused past photos.MAX_BYTES, whatever the desk's
limit for other requests; a chat may send DESK_PHOTO_RATE photos (burst, per second).
Cleaning (photos.clean_photo) is CPU-bound: it runs in a worker thread, at most
CLEANING_AT_ONCE at a time, so a flood of uploads cannot hold up the buyers' answers.

A photo is fetched by a signed address (photo_links), for the buyer's chat or for
agents; an agents' address also needs an agent's session. The image is served as
a JPEG that no page can run anything in.
"""
from __future__ import annotations

import asyncio
import logging
import math

from sanic import Blueprint, Request, response

from shopbot.desk import signing
from shopbot.desk.auth import current_user, may
from shopbot.desk.buyer_socket import client_id_of
from shopbot.desk.off_loop import in_thread
from shopbot.desk.photo_links import AGENTS_VIEWER, chat_viewer, with_photo_urls
from shopbot.desk.photo_store import KEY, new_key
from shopbot.desk.photos import MAX_BYTES, PhotoRefused, clean_photo
from shopbot.desk.rate_limits import TOO_FAST
from shopbot.desk.web import json_error

logger = logging.getLogger(__name__)
CLEANING_AT_ONCE = 2  # photos decoded at once by one desk (it has the cores of one machine)
TOO_BIG = "亲,图片不能超过10MB哦,麻烦压缩一下或者截个图再发~"
NOT_YOUR_CHAT = "会话已失效,请刷新页面后再发送图片"
BUSY = "图片上传的人有点多,请稍后再试一下哦~"
CLEANING_QUEUE = 16  # uploads waiting for a cleaning slot; more are told to try again


async def read_limited(request: Request, limit: int):
    """The request's body, or None as soon as it is longer than `limit` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        return None
    chunks, size = [], 0
    while True:
        chunk = await request.stream.read()
        if chunk is None:
            return b"".join(chunks)
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)


def buyer_photos_blueprint() -> Blueprint:
    bp = Blueprint("buyer_photos")

    @bp.post("/api/buyer/photos", stream=True)
    async def upload(request: Request):
        ctx = request.app.ctx
        conversation_id = request.headers.get("x-conversation-id", "")
        conversation = await ctx.store.conversation(conversation_id) if 0 < len(conversation_id) <= 64 else None
        if conversation is None or not signing.may_resume(conversation.id, conversation.account,
                                                          request.headers.get("x-resume-token"), ctx.cfg.desk_secret):
            return json_error(NOT_YOUR_CHAT, 403)
        wait = ctx.photo_limits.spend(conversation.id)
        if wait:
            return json_error(TOO_FAST, 429, retry_after=math.ceil(wait))
        body = await read_limited(request, MAX_BYTES)
        if body is None:
            return json_error(TOO_BIG, 413)
        if ctx.photo_queue >= CLEANING_QUEUE:
            return json_error(BUSY, 503, retry_after=5)
        ctx.photo_queue += 1
        try:
            async with ctx.photo_cleaning:
                cleaned = await in_thread(clean_photo, body)
        except PhotoRefused as refused:
            logger.info("photo refused for %s: %s", conversation.id, refused)
            return json_error(refused.buyer_message, 400)
        finally:
            ctx.photo_queue -= 1
        key = new_key()
        await in_thread(ctx.photos.put, key, "photo", cleaned.jpeg)
        await in_thread(ctx.photos.put, key, "thumb", cleaned.thumbnail)
        try:
            message = await ctx.service.buyer_photo(conversation, key,
                                                    client_id_of(request.headers.get("x-client-id")))
        except Exception:
            await in_thread(ctx.photos.delete, key)  # not in the chat: not kept either
            raise
        if message.duplicate:  # sent again after a dropped connection: the first copy is the one kept
            await in_thread(ctx.photos.delete, key)
        return response.json({"message": with_photo_urls(message.for_buyer(), chat_viewer(conversation.id),
                                                         ctx.cfg.desk_secret)}, status=201)

    @bp.get("/photos/<key>/<variant>")
    async def fetch(request: Request, key: str, variant: str):
        ctx = request.app.ctx
        viewer = request.args.get("viewer", "")
        if not (KEY.fullmatch(key) and variant in ("photo", "thumb") and signing.photo_url_valid(
                key, variant, viewer, request.args.get("expires"), request.args.get("sig"), ctx.cfg.desk_secret)):
            return json_error("图片链接无效或已过期", 403)
        if viewer == AGENTS_VIEWER and not may(await current_user(request), "agent"):
            return json_error("请先登录", 401)
        data = await in_thread(ctx.photos.get, key, variant)
        if data is None:
            return json_error("图片不存在", 404)
        return response.raw(data, content_type="image/jpeg", headers={
            "Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'", "Content-Disposition": "inline"})

    return bp


def photo_cleaning_slots() -> asyncio.Semaphore:
    return asyncio.Semaphore(CLEANING_AT_ONCE)
