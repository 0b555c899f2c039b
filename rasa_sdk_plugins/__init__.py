"""Our extension of the action server, through rasa-sdk's own plugin hook.

rasa-sdk imports a package named `rasa_sdk_plugins`, if there is one, and asks
it to register hook implementations; `attach_sanic_app_extensions` then sees the
action server's Sanic app before it starts. We use it for one thing: freezing
the start-up heap once the server is up (shopbot/gc_tuning.py says why).
"""
import sys

import pluggy

hookimpl = pluggy.HookimplMarker("rasa_sdk")


def init_hooks(manager: pluggy.PluginManager) -> None:
    manager.register(sys.modules[__name__])


@hookimpl
def attach_sanic_app_extensions(app) -> None:
    from shopbot.gc_tuning import freeze_after_start

    app.register_listener(freeze_after_start("action server"), "after_server_start")
