"""Handing a chat to a person: one action, whoever decides it.

The desk acts on the custom payload; the tracker is already paused, so the bot
stays silent until an agent hands the chat back (ConversationResumed).
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ConversationPaused, SlotSet

from actions.common import account_of, get_shop

REASON_BY_INTENT = {"complain": ("complaint", "high"), "request_human": ("buyer_request", "normal")}
SUMMARY_SLOTS = ("order_id", "product", "region", "courier", "problem_type")


def conversation_summary(tracker: Tracker) -> Dict[str, Any]:
    """What an agent needs at a glance: who, which intents so far, the facts in play."""
    intents = [e["parse_data"]["intent"]["name"] for e in tracker.events
               if e.get("event") == "user" and (e.get("parse_data") or {}).get("intent")]
    return {
        "account": account_of(tracker),
        "intents": intents,
        "last_message": (tracker.latest_message or {}).get("text") or "",
        "entities": {slot: tracker.get_slot(slot) for slot in SUMMARY_SLOTS if tracker.get_slot(slot)},
    }


class ActionHandoff(Action):
    def name(self) -> Text:
        return "action_handoff"

    async def run(self, dispatcher, tracker: Tracker, domain) -> List[Dict[Text, Any]]:
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
        default_reason, default_priority = REASON_BY_INTENT.get(intent, ("bot_unsure", "low"))
        reason = tracker.get_slot("handoff_reason") or default_reason
        priority = tracker.get_slot("handoff_priority") or default_priority
        shop = get_shop()
        if reason == "complaint":
            dispatcher.utter_message(response="utter_complain")
        elif reason == "buyer_request":
            dispatcher.utter_message(response="utter_request_human")
        if not shop.policy.agents_working(shop.now()):
            dispatcher.utter_message(response="utter_agents_offline", hours=shop.policy.agent_hours_text())
        dispatcher.utter_message(json_message={"handoff": {
            "reason": reason, "priority": priority, "summary": conversation_summary(tracker)}})
        return [SlotSet("handoff_reason", None), SlotSet("handoff_priority", None), ConversationPaused()]
