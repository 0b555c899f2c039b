"""The addresses of a photo in a message, signed for the one who is shown it.

A stored message names its photo by key only (`payload.photo`); the address is made
each time the message is sent, for its viewer: the buyer's chat (`chat:<id>`) or the
agents (`agents`, fetched with an agent's session as well). It lives
PHOTO_URL_SECONDS, so an address copied out of a page soon stops working.
"""
from __future__ import annotations

import time
from typing import Any, Dict, Optional
from urllib.parse import urlencode

from shopbot.desk import signing
from shopbot.desk.photo_store import KEY

PHOTO_URL_SECONDS = 3600
AGENTS_VIEWER = "agents"


def chat_viewer(conversation_id: str) -> str:
    return f"chat:{conversation_id}"


def photo_url(key: str, variant: str, viewer: str, secret: str, now: Optional[float] = None) -> str:
    expires = int((time.time() if now is None else now) + PHOTO_URL_SECONDS)
    query = urlencode({"viewer": viewer, "expires": expires,
                       "sig": signing.photo_signature(key, variant, viewer, expires, secret)})
    return f"/photos/{key}/{variant}?{query}"


def with_photo_urls(message: Dict[str, Any], viewer: str, secret: str) -> Dict[str, Any]:
    """The message as sent to `viewer`: a photo's payload gains its signed `url` and `thumb_url`."""
    payload = message.get("payload")
    key = payload.get("photo") if isinstance(payload, dict) else None
    if not (isinstance(key, str) and KEY.fullmatch(key)):
        return message
    now = time.time()
    return dict(message, payload=dict(payload, url=photo_url(key, "photo", viewer, secret, now),
                                      thumb_url=photo_url(key, "thumb", viewer, secret, now)))
