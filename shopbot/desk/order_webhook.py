"""The shop's backend tells the desk what happened to its orders: POST /api/orders/events.

Each request carries one event (shopbot.shop.order_events) and is signed with the
secret the backend shares with the desk (ORDER_EVENTS_SECRET, else DESK_SECRET):

    X-Shop-Timestamp: <unix seconds>
    X-Shop-Signature: hex(HMAC-SHA256(secret, "<timestamp>.<raw body>"))

A signature older or newer than SIGNATURE_WINDOW seconds is refused, so a captured
request cannot be played again later; within the window, an event's id is kept and
a second delivery changes nothing (answered 200, "duplicate"). Answers: 200 applied
or duplicate; 400 a malformed body (what is wrong, for the shop's developers); 401 a
missing, wrong or stale signature; 404 an order the desk does not know (send its
order.created first); 413 a body over the desk's limit.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Optional

from sanic import Blueprint, Request, response

from shopbot.desk.off_loop import in_thread
from shopbot.desk.web import json_error
from shopbot.shop.order_events import EventRejected, parse_event

SIGNATURE_WINDOW = 300  # seconds either way


def event_signature(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), str(int(timestamp)).encode() + b"." + body, hashlib.sha256).hexdigest()


def signed_headers(secret: str, body: bytes, now: Optional[float] = None) -> dict:
    """The headers a shop's backend sends with `body` (shopbot orders replay uses them too)."""
    timestamp = int(time.time() if now is None else now)
    return {"X-Shop-Timestamp": str(timestamp), "X-Shop-Signature": event_signature(secret, timestamp, body),
            "Content-Type": "application/json"}


def signature_valid(secret: str, timestamp: Optional[str], signature: Optional[str], body: bytes,
                    now: Optional[float] = None) -> bool:
    if not (timestamp and timestamp.isdigit() and signature):
        return False
    if abs((time.time() if now is None else now) - int(timestamp)) > SIGNATURE_WINDOW:
        return False
    expected = event_signature(secret, int(timestamp), body)
    return hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace"))


def order_webhook_blueprint() -> Blueprint:
    bp = Blueprint("order_webhook")

    @bp.post("/api/orders/events")
    async def order_event(request: Request):
        ctx = request.app.ctx
        body = request.body or b""
        if not signature_valid(ctx.cfg.order_events_secret, request.headers.get("x-shop-timestamp"),
                               request.headers.get("x-shop-signature"), body):
            return json_error("missing, wrong or expired signature (X-Shop-Timestamp, X-Shop-Signature)", 401)
        try:
            data = json.loads(body)
            event = parse_event(data)
        except (ValueError, RecursionError) as error:
            message = str(error) if isinstance(error, EventRejected) else "the body is not JSON"
            return json_error(message, 400)
        try:
            outcome = await in_thread(ctx.shop_store.record_event, event, data)
        except EventRejected as error:
            return json_error(str(error), 400)
        if outcome.result == "unknown_order":
            return json_error(f"no order {event.order_id}: send its order.created first", 404)
        if outcome.result == "applied":
            await ctx.order_notices.after(event, outcome.before, outcome.after)
        return response.json({"id": event.id, "result": outcome.result})

    return bp
