"""Our plugin of the action server, through rasa-sdk's own hook (rasa_sdk_plugins/ registers it).

`attach_sanic_app_extensions` sees the action server's Sanic app before it starts. We use it for two
things: freezing the start-up heap once the server is up (shopbot/gc_tuning.py says why), and
refusing every call but the health check that lacks the token Rasa sends (endpoints.yml's
action_endpoint `token`, from ACTIONS_TOKEN): a tracker posted straight to the action server
would otherwise run an action, with the orders of whatever account it names.
"""
from __future__ import annotations

import hmac
import logging

import pluggy

hookimpl = pluggy.HookimplMarker("rasa_sdk")
logger = logging.getLogger(__name__)
OPEN_PATHS = {"/health"}


def token_check(token):
    """A request middleware: 401 for a call without `?token=<token>` (every call, with no token set)."""
    from sanic import response

    async def check(request):
        if request.path in OPEN_PATHS:
            return None
        given = request.args.get("token", "")
        if not (token and hmac.compare_digest(given.encode("utf-8", "replace"), token.encode())):
            return response.json({"error": "the action server takes calls from Rasa only (token)"}, status=401)
        return None

    return check


@hookimpl
def attach_sanic_app_extensions(app) -> None:
    from shopbot import config
    from shopbot.gc_tuning import freeze_after_start

    token = config.load().actions_token
    if not token:
        logger.error("ACTIONS_TOKEN is not set: the action server refuses every call. Set the same "
                     "ACTIONS_TOKEN for Rasa (endpoints.yml) and the action server; make run does.")
    app.register_middleware(token_check(token), "request")
    app.register_listener(freeze_after_start("action server"), "after_server_start")
