"""Rasa's REST channel, answering 400 instead of 500 to a body that is not a JSON object.

Rasa 3.6's RestInput calls `request.json.get(...)`, so a body of `[]`, `"x"`,
`null` or nothing at all raised AttributeError and came back as a 500. Same
name ("rest"), so the URL stays /webhooks/rest/webhook; credentials.yml names
this class instead of the built-in one.
"""
from __future__ import annotations

from typing import Any, Dict, Optional, Text

from rasa.core.channels.rest import RestInput as RasaRestInput
from sanic.exceptions import InvalidUsage
from sanic.request import Request


def _body(request: Request) -> Dict[Text, Any]:
    body = request.json  # malformed JSON: Sanic already answers 400
    if not isinstance(body, dict):
        raise InvalidUsage("the body must be a JSON object")
    return body


class RestInput(RasaRestInput):
    async def _extract_sender(self, req: Request) -> Optional[Text]:
        return _body(req).get("sender", None)

    def _extract_message(self, req: Request) -> Optional[Text]:
        return _body(req).get("message", None)

    def _extract_input_channel(self, req: Request) -> Text:
        return _body(req).get("input_channel") or self.name()

    def get_metadata(self, request: Request) -> Optional[Dict[Text, Any]]:
        return _body(request).get("metadata", None)
