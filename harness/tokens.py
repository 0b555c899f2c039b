"""The internal tokens as the rig presents them, from the environment (make exports var/tokens.env).

Rasa's HTTP API opens with `?token=$RASA_TOKEN`; its REST channel believes metadata.account only
with `Authorization: Bearer $CHANNEL_TOKEN`, as the desk sends it.
"""
from __future__ import annotations

import os
from typing import Dict


def rasa_api() -> Dict[str, str]:
    """The query that opens Rasa's HTTP API (--auth-token); empty when no token is set."""
    token = os.environ.get("RASA_TOKEN")
    return {"token": token} if token else {}


def channel_headers() -> Dict[str, str]:
    """The header with which the REST channel believes the buyer's account."""
    token = os.environ.get("CHANNEL_TOKEN")
    return {"Authorization": f"Bearer {token}"} if token else {}
