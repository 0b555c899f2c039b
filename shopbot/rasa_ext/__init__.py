"""Our extensions of Rasa and rasa-sdk, in one place.

- apply(): installs the patches in this process.
- server_patches, model_patches: the changes to Rasa's internals, one line each in their docstrings.
- rest_channel: the REST channel the desk talks to (credentials.yml).
- tracker_store: the SQL tracker store Rasa keeps conversations in (endpoints*.yml).
- action_server_plugin: our plugin of the action server (rasa_sdk_plugins/ hands it to rasa-sdk).
Garbage-collection tuning stays in shopbot/gc_tuning.py: the desk, which runs no Rasa, uses it too.
"""
from __future__ import annotations


def apply() -> None:
    """Patch Rasa. Once per process, before Rasa loads a model or serves; idempotent."""
    from shopbot.rasa_ext import model_patches, server_patches

    server_patches.apply()
    model_patches.apply()
