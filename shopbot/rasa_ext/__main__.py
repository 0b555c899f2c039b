"""`python -m shopbot.rasa_ext <rasa arguments>`: Rasa's command line with our extensions switched on.

Our Rasa servers (`run ...`), the action server (`run actions ...`), `shell` and the story tests
(`test core ...`) start this way, in scripts/, docker-compose.yml, the Makefile and the tests. First
it refuses a Rasa (and for the action server a rasa-sdk) other than the one the extensions were
written for, with a message and status 2, before anything is patched or started; then it applies
them (the action server has only its plugin, which rasa-sdk loads) and hands the same arguments to
Rasa's own command line, with RASA_TOKEN as the API's --auth-token (`with_api_token`).
"""
from __future__ import annotations

import sys
from typing import List, Optional


def with_api_token(args: List[str]) -> List[str]:
    """`rasa run --enable-api` with RASA_TOKEN from the environment as its --auth-token: given
    here, not on the command line, the token is not in the process list for any local user."""
    from shopbot import config

    token = config.load().rasa_token
    if args[:1] == ["run"] and "--enable-api" in args and "--auth-token" not in args and token:
        return [*args, "--auth-token", token]
    return args


def main(argv: Optional[List[str]] = None) -> None:
    from shopbot import rasa_ext
    from shopbot.rasa_ext import versions, warning_filters

    args = list(sys.argv[1:] if argv is None else argv)
    action_server = args[:2] == ["run", "actions"]
    try:
        versions.require_rasa()
        if action_server:
            versions.require_rasa_sdk()
    except versions.UnsupportedVersion as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(2)
    warning_filters.keep_in_force()  # before the imports whose warnings it hides
    if not action_server:
        rasa_ext.apply()
        args = with_api_token(args)

    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *args]
    rasa_main()


if __name__ == "__main__":
    main()
