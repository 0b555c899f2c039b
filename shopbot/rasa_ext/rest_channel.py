"""Rasa's REST channel, with status codes the desk can act on.

Rasa 3.6's RestInput has two habits a caller cannot work with:
- a body that is not a JSON object (`[]`, `"x"`, `null`, nothing), or whose
  sender, message or metadata have the wrong type, failed somewhere inside
  Rasa: here it is a 400 saying what is wrong;
- when processing failed (the tracker store or lock store unreachable, say
  while PostgreSQL restarts) it logged the error and answered 200 with no
  replies, which looks exactly like a bot with nothing to say. Here it is a
  503: the message was not processed, so the desk can send it again (Rasa
  saves the tracker last, so a failed message left nothing behind).
And one rule of ours: `metadata.account` (whose orders the actions may show) is
trusted only from a caller presenting the channel token (`Authorization: Bearer
$CHANNEL_TOKEN`), which the desk holds; anyone else is answered as an anonymous
buyer. Without CHANNEL_TOKEN nobody is trusted.
Same name ("rest"), so the URL stays /webhooks/rest/webhook; credentials.yml
names this class instead of the built-in one. The `?stream=true` variant is
not offered: nothing of ours uses it. It refuses to start in a Rasa that
shopbot.rasa_ext.apply() has not patched: the 503 relies on patch 2.
"""
from __future__ import annotations

import hmac
import logging
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput as RasaRestInput
from sanic import Blueprint, response
from sanic.exceptions import InvalidUsage
from sanic.request import Request

from shopbot import config
from shopbot.gc_tuning import freeze_after_start
from shopbot.rasa_ext import server_patches

logger = logging.getLogger(__name__)
MAX_SENDER_LENGTH = 255  # the SQL tracker store's sender_id column
# Without patch 2 a database outage forks conversations (and is answered 200): no server of ours runs so.
NOT_APPLIED = ("shopbot's REST channel needs shopbot.rasa_ext.apply() first: "
               "start Rasa with `python -m shopbot.rasa_ext run ...`, not `rasa run ...`")


def _body(request: Request) -> Dict[Text, Any]:
    body = request.json  # malformed JSON: Sanic already answers 400
    if not isinstance(body, dict):
        raise InvalidUsage("the body must be a JSON object")
    return body


def _text(value: Any, field: str, required: bool) -> Optional[Text]:
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise InvalidUsage(f"'{field}' must be a string")
    # A lone surrogate ("\ud800") is valid JSON but not text: it cannot be stored or logged.
    return value.encode("utf-8", "replace").decode("utf-8")


def presents_token(request: Request, token: Optional[str]) -> bool:
    """Whether the caller sent `Authorization: Bearer <token>` (never, when there is no token)."""
    given = request.headers.get("authorization", "")
    return bool(token) and hmac.compare_digest(given.encode("utf-8", "replace"), f"Bearer {token}".encode())


class RestInput(RasaRestInput):
    def __init__(self, channel_token: Optional[str] = None) -> None:
        self.channel_token = channel_token

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "RestInput":
        return cls(config.load().channel_token)

    async def _extract_sender(self, req: Request) -> Optional[Text]:
        sender = _text(_body(req).get("sender"), "sender", required=False)
        if sender is not None and len(sender) > MAX_SENDER_LENGTH:
            raise InvalidUsage(f"'sender' must be at most {MAX_SENDER_LENGTH} characters")
        return sender

    def _extract_message(self, req: Request) -> Optional[Text]:
        return _text(_body(req).get("message"), "message", required=True)

    def _extract_input_channel(self, req: Request) -> Text:
        return _text(_body(req).get("input_channel"), "input_channel", required=False) or self.name()

    def get_metadata(self, request: Request) -> Optional[Dict[Text, Any]]:
        metadata = _body(request).get("metadata")
        if metadata is not None and not isinstance(metadata, dict):
            raise InvalidUsage("'metadata' must be an object")
        if metadata and "account" in metadata and not presents_token(request, self.channel_token):
            metadata = {key: value for key, value in metadata.items() if key != "account"}
        return metadata

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        # Rasa builds the channel once, at start-up, before it loads the model.
        if not server_patches.applied():
            raise RuntimeError(NOT_APPLIED)
        webhook = Blueprint(f"custom_webhook_{type(self).__name__}", __name__)
        # After Rasa's own before_server_start listener has loaded the model.
        webhook.listener("after_server_start")(freeze_after_start("Rasa"))

        @webhook.route("/", methods=["GET"])
        async def health(request: Request):
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request):
            collector = CollectingOutputChannel()
            message = UserMessage(self._extract_message(request), collector, await self._extract_sender(request),
                                  input_channel=self._extract_input_channel(request),
                                  metadata=self.get_metadata(request))
            try:
                await on_new_message(message)
            except Exception:  # noqa: BLE001 - any failure means "not processed"; say so
                logger.exception("could not process a message of %s", message.sender_id)
                return response.json({"error": "the message could not be processed; send it again"}, status=503)
            return response.json(collector.messages)

        return webhook
