"""Two-stage fallback: ask the buyer to rephrase once, then offer a person.

A rule cannot span two user turns in Rasa 3, so the stage is read from the
conversation: if the bot's previous answer was already the rephrase request,
this is the second misunderstanding in a row.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

ASK_REPHRASE = "utter_ask_rephrase"
OFFER_HUMAN = "utter_offer_human"
# Events that are bookkeeping, not something the bot said.
_SILENT_ACTIONS = {"action_listen", "action_unlikely_intent", "action_fallback"}


def previous_bot_answer(tracker: Tracker) -> Optional[str]:
    """Name of the last response or action the bot ran before the latest message."""
    seen_latest_user = False
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            if seen_latest_user:
                return None
            seen_latest_user = True
        elif event.get("event") == "bot" and seen_latest_user:
            return (event.get("metadata") or {}).get("utter_action")
        elif event.get("event") == "action" and seen_latest_user:
            name = event.get("name")
            if name not in _SILENT_ACTIONS:
                return name
    return None


class ActionFallback(Action):
    def name(self) -> Text:
        return "action_fallback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        if previous_bot_answer(tracker) in (ASK_REPHRASE, OFFER_HUMAN, "action_fallback"):
            dispatcher.utter_message(response=OFFER_HUMAN)
        else:
            dispatcher.utter_message(response=ASK_REPHRASE)
        return []
