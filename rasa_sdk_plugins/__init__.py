"""The name rasa-sdk looks for: it imports a package `rasa_sdk_plugins`, if there is one, and asks it
to register hook implementations. Ours are in shopbot/rasa_ext/action_server_plugin.py, with the rest
of our Rasa extensions; this package only hands them over.
"""


def init_hooks(manager) -> None:
    from shopbot.rasa_ext import action_server_plugin

    manager.register(action_server_plugin)
