"""A chat and a message as the desk passes them around and sends them to the pages."""
from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import Any, Dict, Optional

from shopbot.desk import states


@dataclass
class Conversation:
    id: str
    account: Optional[str]
    state: str
    reason: Optional[str]
    priority: Optional[str]
    summary: Dict[str, Any]
    agent: Optional[str]
    created_at: float
    waiting_since: Optional[float]

    def as_dict(self) -> Dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Message:
    id: int
    conversation_id: str
    sender: str  # buyer / bot / agent / system
    text: str
    payload: Optional[Dict[str, Any]]  # buttons, images, custom payloads
    client_id: Optional[str]
    author: Optional[str]  # the agent who wrote it
    created_at: float
    # True when the widget resent a line already stored: the stored one, not to be answered again.
    duplicate: bool = field(default=False)
    desk: Optional[str] = field(default=None)  # a buyer's line only: the desk replica that took it

    def as_dict(self) -> Dict[str, Any]:
        data = dict(self.__dict__)
        for internal in ("duplicate", "desk"):
            data.pop(internal)
        return data

    def for_buyer(self) -> Dict[str, Any]:
        """As the buyer's widget gets it: without the agent's login name (`author`)."""
        data = self.as_dict()
        data.pop("author")
        return data


def new_conversation(account: Optional[str]) -> Conversation:
    """A chat as it is stored when a buyer opens the widget: the bot's, with an unguessable id."""
    return Conversation(secrets.token_urlsafe(18), account, states.BOT, None, None, {}, None, time.time(), None)
