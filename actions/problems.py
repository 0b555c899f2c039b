"""A problem with received goods, carried into an after-sales case the desk keeps.

The bot finds the order (the buyer's received orders holding the product named; a
question with buttons when several fit; never one still on its way or unshipped),
the problem's type, the items and their amount, and what the shop's policy lets it
propose (shopbot.shop.aftersale_policy). It then hands the case to the desk as an
instruction beside its reply (`case`, never shown) and tells the buyer what happens
next: photos to send, or the case already with an agent, who confirms within the
policy's hours. It never promises money itself. Expired or unsafe food is urgent and
goes to a person at once.
"""
from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action
from rasa_sdk.events import SlotSet

from actions.common import await_answer, get_shop, handoff, latest_entity, latest_text, signed_in_account
from actions.orders import delivered_at, order_label, products_in_line
from shopbot.shop.aftersale_policy import agent_confirms_within_hours, propose
from shopbot.shop.order_events import signing_event

RECEIVED = ("delivered", "completed")
# The problems a photo shows (the case waits for one before an agent sees it), and what the bot says.
PHOTO_REPLIES = {"damaged": "utter_case_damaged", "wrong_item": "utter_case_wrong_item",
                 "quality": "utter_case_quality", "near_expiry": "utter_case_near_expiry"}
SUBMITTED_REPLIES = {"missing": "utter_case_missing_item"}  # the others: utter_case_submitted
URGENT_PROBLEMS = {"expired", "safety"}
# The NLU's problem_type values -> the policy's names for them (settings.yml aftersale.problems).
POLICY_NAMES = {"missing_item": "missing"}
PROBLEM_BUTTONS = ["破损", "少发", "发错", "质量问题", "临期", "过期"]
# "物流显示签收了但我没收到": a parcel the courier says it delivered.
NOT_RECEIVED = re.compile(r"(显示|说|已经?|写着?)(被)?签收.{0,12}(没|未|还没)(有)?(收到|拿到|看到)"
                          r"|(没|未)(有)?(收到|拿到).{0,10}(显示|却|但|可是|怎么).{0,6}签收")

# Said after the bot asked the buyer to look in the locker and at the door.
STILL_MISSING = re.compile(r"(还是|仍然|依然|都)(没|没有)(收到|找到|看到)|找(过|遍)了.{0,6}(没|没有)|(没|没有)找到")


def about_signed_not_received(tracker) -> bool:
    """Whether the buyer's line is 签收未收到, or says the parcel is still missing after looking."""
    text = latest_text(tracker)
    return bool(NOT_RECEIVED.search(text)) or bool(tracker.get_slot("not_received_order")
                                                   and STILL_MISSING.search(text))


def items_concerned(order: Dict[str, Any], named: set) -> List[Dict[str, Any]]:
    """The order's items the buyer named, else all of them."""
    items = order.get("items") or []
    return [item for item in items if item.get("name") in named] or items


class ActionReportProblem(Action):
    """收到是碎的 / 少发了一包 / 发错了 / 有哈喇味 / 过期了: a case for the right order."""

    def name(self) -> Text:
        return "action_report_problem"

    async def run(self, dispatcher, tracker, domain) -> List[Dict]:
        shop = get_shop()
        account = signed_in_account(dispatcher, tracker)
        if not account:
            return []
        if about_signed_not_received(tracker):
            return await ActionSignedNotReceived().run(dispatcher, tracker, domain)
        problem = latest_entity(tracker, "problem_type") or (
            tracker.get_slot("problem_type") if tracker.get_slot("awaiting") == "problem" else None)
        events: List[Dict] = [SlotSet("problem_type", problem)]
        order = self._order(dispatcher, tracker, shop, account, events)
        if order is None:
            return events
        if problem is None:
            dispatcher.utter_message(response="utter_ask_problem_type", order_id=order["order_id"],
                                     buttons=[{"title": b, "payload": b} for b in PROBLEM_BUTTONS])
            return events + [SlotSet("order_id", order["order_id"]), await_answer("problem")]
        return events + self._open_case(dispatcher, tracker, shop, order, problem)

    @staticmethod
    def _order(dispatcher, tracker, shop, account: str, events: List[Dict]) -> Optional[Dict[str, Any]]:
        """The received order the problem is about, or a question back (and None)."""
        orders = shop.store.orders_of(account)
        # The order typed now, or the one the bot asked about; not one an earlier question was about
        # (几天能到 about a parcel on its way, then 收到的是碎的 about another order).
        typed = latest_entity(tracker, "order_id") or (
            tracker.get_slot("order_id") if tracker.get_slot("awaiting") == "problem" else None)
        named = products_in_line(tracker)
        if typed:
            order = next((o for o in orders if o["order_id"] == typed), None)
            if order is None:
                dispatcher.utter_message(response="utter_order_not_found", order_id=typed)
                events += [SlotSet("order_id", None), await_answer("problem")]
                return None
            candidates = [order]
        else:
            holding = [o for o in orders if named & {i.get("name") for i in o.get("items") or []}]
            candidates = holding or orders  # a name in none of the orders does not hide them
            named = named if holding else set()
        received = [o for o in candidates if o["status"] in RECEIVED]
        if len(received) == 1:
            return received[0]
        if not received:
            coming = [o for o in candidates if o["status"] in ("paid", "shipped")]
            if coming and (typed or named):  # the goods named have not reached the buyer yet
                order = coming[0]
                response = "utter_problem_not_shipped" if order["status"] == "paid" else "utter_problem_on_its_way"
                dispatcher.utter_message(response=response, order_id=order["order_id"])
                return None
            dispatcher.utter_message(response="utter_problem_no_received_order")
            events.append(await_answer("problem"))
            return None
        dispatcher.utter_message(response="utter_ask_which_order",
                                 orders="\n".join(order_label(o) for o in received[:5]),
                                 buttons=[{"title": o["order_id"], "payload": o["order_id"]} for o in received[:5]])
        events.append(await_answer("problem"))
        return None

    @staticmethod
    def _open_case(dispatcher, tracker, shop, order: Dict[str, Any], problem: str) -> List[Dict]:
        policy_problem = POLICY_NAMES.get(problem, problem)
        items = items_concerned(order, products_in_line(tracker) | {tracker.get_slot("product")} - {None})
        amount = sum(float(item.get("price", 0)) * int(item.get("qty", 1)) for item in items)
        delivered = delivered_at(order)
        days = (shop.now() - delivered).days if delivered else 0
        settings = shop.policy.settings
        proposal = propose(settings, policy_problem, amount, days)
        urgent = proposal.urgent or policy_problem in URGENT_PROBLEMS
        needs_photo = policy_problem in PHOTO_REPLIES
        hours = agent_confirms_within_hours(settings)
        names = "、".join(item["name"] for item in items[:3])
        dispatcher.utter_message(json_message={"case": {
            "order_id": order["order_id"], "items": items, "problem": policy_problem,
            "words": latest_text(tracker), "proposal": proposal.resolution, "urgent": urgent,
            "submit": not needs_photo}})
        fields = dict(order_id=order["order_id"], items=names, hours=hours)
        events: List[Dict] = [SlotSet("order_id", order["order_id"]), SlotSet("problem_type", None),
                              await_answer(None)]
        if urgent:
            dispatcher.utter_message(response="utter_case_urgent", **fields)
            return events + handoff("expired_goods", "high")
        reply = PHOTO_REPLIES.get(policy_problem) or SUBMITTED_REPLIES.get(policy_problem, "utter_case_submitted")
        dispatcher.utter_message(response=reply, **fields)
        if proposal.resolution:
            dispatcher.utter_message(response="utter_case_proposal", proposal=proposal.resolution, hours=hours)
        return events


class ActionSignedNotReceived(Action):
    """签收未收到: the courier says delivered, the buyer has nothing. The logistics first (a locker,
    the door, a neighbour); said again, a case an agent takes up with the courier."""

    def name(self) -> Text:
        return "action_signed_not_received"

    async def run(self, dispatcher, tracker, domain) -> List[Dict]:
        shop = get_shop()
        account = signed_in_account(dispatcher, tracker)
        if not account:
            return []
        typed = latest_entity(tracker, "order_id")
        signed = [o for o in shop.store.orders_of(account) if delivered_at(o) and o["status"] == "delivered"
                  and (not typed or o["order_id"] == typed)]
        if not signed:
            dispatcher.utter_message(response="utter_not_received_none_signed")
            return []
        order = max(signed, key=delivered_at)
        if tracker.get_slot("not_received_order") != order["order_id"]:
            event = signing_event(order)
            dispatcher.utter_message(response="utter_not_received_check", order_id=order["order_id"],
                                     time=event["time"][:16].replace("T", " "), event=event["event"],
                                     buttons=[{"title": "找过了,还是没收到", "payload": "找过了,还是没收到"}])
            return [SlotSet("not_received_order", order["order_id"]), SlotSet("order_id", order["order_id"])]
        hours = agent_confirms_within_hours(shop.policy.settings)
        dispatcher.utter_message(json_message={"case": {
            "order_id": order["order_id"], "items": order.get("items") or [], "problem": "not_received",
            "words": latest_text(tracker), "proposal": None, "urgent": False, "submit": True}})
        dispatcher.utter_message(response="utter_not_received_case", order_id=order["order_id"], hours=hours)
        return [SlotSet("not_received_order", None)]
