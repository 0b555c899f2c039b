"""The Rasa and rasa-sdk our extensions were written for, and the check that refuses any other.

The patches replace Rasa's internals (private methods, module functions), which change between
releases without notice, and the Makefile installs Rasa with --ignore-requires-python: on another
version they may fail, or worse, quietly do something else. So a process of ours refuses to start.
"""
from __future__ import annotations

RASA = "3.6.21"
RASA_SDK = "3.6.2"


class UnsupportedVersion(RuntimeError):
    """The installed Rasa or rasa-sdk is not the one shopbot.rasa_ext was written for."""


def _require(name: str, pin: str, installed: str, written_for: str) -> None:
    if installed != written_for:
        raise UnsupportedVersion(
            f"{name} {installed} is installed, but shopbot.rasa_ext was written for {name} {written_for}: "
            f"its patches change {name}'s internals and are unsafe on another version. Install "
            f"{pin}=={written_for} (the Makefile's setup pins it), or port shopbot/rasa_ext/ to {installed}, "
            f"test it and change shopbot/rasa_ext/versions.py.")


def require_rasa() -> None:
    """Raise UnsupportedVersion unless the Rasa this process imports is RASA."""
    import rasa

    _require("Rasa", "rasa", rasa.__version__, RASA)


def require_rasa_sdk() -> None:
    """Raise UnsupportedVersion unless the rasa-sdk this process imports is RASA_SDK."""
    import rasa_sdk

    _require("rasa-sdk", "rasa-sdk", rasa_sdk.__version__, RASA_SDK)
