"""Who the buyer is (from the channel), greeting them, and continuing a question."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet

from actions.common import get_shop



def _continuations() -> Dict[str, Action]:
    """What a bare answer (intent inform) continues, by what the bot last asked."""
    from actions.aftersale import ActionRefundProgress, ActionReturn
    from actions.payment import ActionChangeOrder
    from actions.shipping import ActionLogistics, ActionUrgeShipping

    return {"urge_shipping": ActionUrgeShipping(), "logistics": ActionLogistics(),
            "change_order": ActionChangeOrder(), "return": ActionReturn(),
            "return_reason": ActionReturn(), "refund": ActionRefundProgress()}


class ActionCaptureAccount(Action):
    """Custom slot mapping for `account`: only the channel's metadata can set it.

    Runs after every buyer message. A message without a (verified) account makes
    the session anonymous again; nothing typed in the text is ever looked at.
    """

    def name(self) -> Text:
        return "action_capture_account"

    async def run(self, dispatcher, tracker: Tracker, domain) -> List[Dict[Text, Any]]:
        metadata = (tracker.latest_message or {}).get("metadata") or {}
        account = metadata.get("account")
        account = account.strip() if isinstance(account, str) and account.strip() else None
        if account == tracker.get_slot("account"):
            return []
        return [SlotSet("account", account)]


class ActionGreet(Action):
    def name(self) -> Text:
        return "action_greet"

    async def run(self, dispatcher, tracker, domain) -> List[Dict]:
        policy = get_shop().policy
        dispatcher.utter_message(response="utter_greet_shop", shop_name=policy.shop_name,
                                 agent=policy.agent_nickname,
                                 promotion=(policy.promotions or [""])[0])
        return []


class ActionContinue(Action):
    """A bare value (an order number, a region...) continues what the bot asked for.

    The continuing action runs inside this one, not as a FollowupAction: the
    rules end every turn after one action, and a follow-up the rules do not
    cover would make Rasa fall back and undo the turn's slots.
    """

    def name(self) -> Text:
        return "action_continue"

    async def run(self, dispatcher, tracker: Tracker, domain) -> List[Dict]:
        from actions.presale import ActionStock
        from actions.shipping import ActionFreeShipping

        follow = _continuations().get(tracker.get_slot("awaiting") or "")
        if follow is None:
            entities = {e.get("entity") for e in (tracker.latest_message or {}).get("entities") or []}
            if "region" in entities:
                follow = ActionFreeShipping()
            elif "product" in entities:
                follow = ActionStock()
        if follow is not None:
            return await follow.run(dispatcher, tracker, domain)
        dispatcher.utter_message(response="utter_inform")
        return []
