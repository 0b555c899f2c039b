"""Our extensions of Rasa and rasa-sdk, in one place, switched on by one call at start.

- apply(): refuses a Rasa other than the one they were written for, then installs the patches;
  every process of ours that runs Rasa calls it first (`python -m shopbot.rasa_ext`, nlu_eval).
- __main__: `python -m shopbot.rasa_ext <rasa arguments>`, how our Rasa servers and the action
  server start: the check, the patches, then Rasa's own command line with the same arguments.
- versions: the Rasa and rasa-sdk the extensions were written for.
- server_patches, model_patches: the changes to Rasa's internals, one line each in their docstrings.
- rest_channel: the REST channel the desk talks to (credentials.yml).
- tracker_store: the SQL tracker store Rasa keeps conversations in (endpoints*.yml).
- action_server_plugin: our plugin of the action server (rasa_sdk_plugins/ hands it to rasa-sdk).
- warning_filters: PYTHONWARNINGS kept in force where Sanic and Rasa override it.
Garbage-collection tuning stays in shopbot/gc_tuning.py: the desk, which runs no Rasa, uses it too.
"""
from __future__ import annotations


def apply() -> None:
    """Check the installed Rasa (versions.UnsupportedVersion if it is not ours), then patch it.

    Once per process, before Rasa loads a model or serves; idempotent.
    """
    from shopbot.rasa_ext import model_patches, server_patches, versions

    versions.require_rasa()
    server_patches.apply()
    model_patches.apply()

