"""Building trackers and running actions the way rasa-sdk's own tests do."""
from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Dict, List, Optional

import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

ROOT = Path(__file__).resolve().parent.parent
_DOMAIN: Optional[Dict[str, Any]] = None


def domain() -> Dict[str, Any]:
    """The project's real domain.yml, as the action server receives it."""
    global _DOMAIN
    if _DOMAIN is None:
        _DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    return _DOMAIN


def user(text: str, intent: str, entities: Optional[List[dict]] = None,
         metadata: Optional[dict] = None, confidence: float = 0.95) -> Dict[str, Any]:
    return {"event": "user", "text": text, "metadata": metadata or {},
            "parse_data": {"text": text, "intent": {"name": intent, "confidence": confidence},
                           "entities": entities or []}}


def bot(response: str, text: str = "") -> Dict[str, Any]:
    return {"event": "bot", "text": text, "metadata": {"utter_action": response}}


def action(name: str) -> Dict[str, Any]:
    return {"event": "action", "name": name}


def tracker(events: List[Dict[str, Any]], slots: Optional[Dict[str, Any]] = None,
            sender: str = "test-buyer") -> Tracker:
    """A Tracker whose latest message is the last user event in `events`."""
    latest = next((e for e in reversed(events) if e["event"] == "user"), None)
    latest_message = dict(latest["parse_data"], metadata=latest.get("metadata", {})) if latest else {}
    return Tracker(sender, slots or {}, latest_message, events, False, None, {}, "action_listen")


def rendered_texts(messages: List[Dict[str, Any]]) -> List[str]:
    """The texts the buyer would read: each response's template filled with the action's values."""
    from shopbot.reply_scripts import render

    texts = []
    for message in messages:
        if message.get("response"):
            for variant in domain()["responses"][message["response"]]:
                texts.append(render(variant.get("text", ""), message))
        elif message.get("text"):
            texts.append(message["text"])
    return texts


def run(action_obj, tracker_obj: Tracker):
    """Run an action; return (responses the dispatcher collected, events it returned).

    Every text the action produced is also checked against the Tmall rules, so
    no test of an action can pass while its answer breaks one.
    """
    from shopbot.compliance import check_reply

    dispatcher = CollectingDispatcher()
    events = asyncio.run(action_obj.run(dispatcher, tracker_obj, domain()))
    for text in rendered_texts(dispatcher.messages):
        assert check_reply(text) == [], f"{action_obj.name()} said something against the rules: {text}"
    return dispatcher.messages, events
