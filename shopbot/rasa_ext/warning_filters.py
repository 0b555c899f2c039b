"""PYTHONWARNINGS kept in force in our Rasa processes, where Sanic and Rasa's command line override it.

The start scripts and the image set PYTHONWARNINGS to hide third-party deprecation warnings from the
logs, but importing Sanic puts a "once" filter for every DeprecationWarning in front of it, and Rasa's
command line one for every UserWarning (pyparsing's deprecation warnings are both). Applied again after
each, it holds. Without PYTHONWARNINGS (or -W) this changes nothing.
"""
from __future__ import annotations

import sys
import warnings

import pluggy

hookimpl = pluggy.HookimplMarker("rasa")


def reapply() -> None:
    """Put the filters PYTHONWARNINGS and -W asked for back in front, as Python set them at start."""
    warnings._processoptions(sys.warnoptions)  # Python's own reading of them, as at start


def keep_in_force() -> None:
    """Import Sanic and re-apply now; re-apply again once Rasa's command line has set its own filters."""
    import sanic  # noqa: F401  (its import adds the filter this undoes)
    from rasa.plugin import plugin_manager

    reapply()
    plugin = sys.modules[__name__]
    if not plugin_manager().is_registered(plugin):
        plugin_manager().register(plugin)


@hookimpl
def configure_commandline(cmdline_arguments) -> None:
    """Rasa's hook called after its command line has configured logging and warnings, before the command runs."""
    reapply()
