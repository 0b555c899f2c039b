"""Our plugin of the action server, through rasa-sdk's own hook (rasa_sdk_plugins/ registers it).

`attach_sanic_app_extensions` sees the action server's Sanic app before it starts. We use it for one
thing: freezing the start-up heap once the server is up (shopbot/gc_tuning.py says why).
"""
from __future__ import annotations

import pluggy

hookimpl = pluggy.HookimplMarker("rasa_sdk")


@hookimpl
def attach_sanic_app_extensions(app) -> None:
    from shopbot.gc_tuning import freeze_after_start

    app.register_listener(freeze_after_start("action server"), "after_server_start")
