"""Greeting the buyer, and continuing a question."""
from __future__ import annotations

from typing import Dict, List, Text

from rasa_sdk import Action, Tracker

from actions.common import await_answer, entities_in_line, get_shop, product_choices

PRODUCT_TOPICS = ("stock", "shelf_life", "product_info", "price")


def _continuations() -> Dict[str, Action]:
    """What a bare answer (intent inform) continues, by what the bot last asked."""
    from actions.aftersale import ActionRefundProgress, ActionReturn
    from actions.payment import ActionChangeOrder
    from actions.presale import ActionProductInfo, ActionShelfLife, ActionStock
    from actions.prices import ActionPrice
    from actions.problems import ActionReportProblem
    from actions.shipping import ActionLogistics, ActionUrgeShipping

    return {"urge_shipping": ActionUrgeShipping(), "logistics": ActionLogistics(),
            "change_order": ActionChangeOrder(), "return": ActionReturn(),
            "return_reason": ActionReturn(), "refund": ActionRefundProgress(),
            "problem": ActionReportProblem(),
            # which of several products the buyer meant (actions.common.resolve_product_name)
            "stock": ActionStock(), "shelf_life": ActionShelfLife(), "product_info": ActionProductInfo(),
            "price": ActionPrice()}


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
        from actions.shipping import ActionCourier, ActionFreeShipping, ActionLogistics

        from actions.problems import ActionSignedNotReceived, about_signed_not_received

        if about_signed_not_received(tracker):  # "找过了,还是没收到" after the bot asked to look
            return await ActionSignedNotReceived().run(dispatcher, tracker, domain)
        awaiting = tracker.get_slot("awaiting") or ""
        follow = _continuations().get(awaiting)
        if follow is None:
            entities = {entity.get("entity") for entity in entities_in_line(tracker)}
            if "region" in entities:
                follow = ActionFreeShipping()
            elif "product" in entities:
                follow = ActionStock()
            elif "courier" in entities:  # a bare 顺丰: can it be sent by them
                follow = ActionCourier()
            elif "order_id" in entities:  # a bare order number: where that order is
                follow = ActionLogistics()
        if follow is not None:
            events = await follow.run(dispatcher, tracker, domain)
            if awaiting in PRODUCT_TOPICS and not product_choices(tracker):
                events.append(await_answer(None))  # the product is chosen: the question is answered
            return events
        dispatcher.utter_message(response="utter_inform")
        return []
