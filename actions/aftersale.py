"""Returns, refunds and problems with received goods."""
from __future__ import annotations

from datetime import timedelta
from typing import Dict, List, Optional, Text

from rasa_sdk import Action
from rasa_sdk.events import SlotSet

from actions.common import await_answer, current, get_shop, handoff, latest_text, mentions, parse_time
from actions.orders import find_order

QUALITY_WORDS = ("质量", "坏", "碎", "破", "漏", "霉", "虫", "过期", "发错", "少发", "变质", "异物")
NO_REASON_WORDS = ("不喜欢", "不想要", "不合口味", "不好吃", "买多了", "拍错", "无理由", "不需要")


def _delivered_at(order) -> Optional[object]:
    for event in reversed(order.get("logistics") or []):
        if "签收" in event["event"]:
            return parse_time(event["time"])
    return None


def _received(order) -> bool:
    return order["status"] in ("delivered", "completed")


def return_reason(tracker) -> Optional[str]:
    """quality or no_reason, from what the buyer said now or earlier."""
    if tracker.get_slot("return_reason"):
        return tracker.get_slot("return_reason")
    if current(tracker, "problem_type"):
        return "quality"
    text = latest_text(tracker)
    if mentions(text, *QUALITY_WORDS):
        return "quality"
    if mentions(text, *NO_REASON_WORDS):
        return "no_reason"
    return None


class ActionReturn(Action):
    """A return as a short form: which order, why, then the policy's answer."""

    def name(self) -> Text:
        return "action_return"

    async def run(self, dispatcher, tracker, domain) -> List[Dict]:
        shop = get_shop()
        reason = return_reason(tracker)
        lookup = find_order(dispatcher, tracker, shop, "return", _received)
        order = lookup.order
        events = lookup.events + ([SlotSet("return_reason", reason)] if reason else [])
        if order is None:
            return events
        if not _received(order):
            dispatcher.utter_message(response="utter_return_not_received", order_id=order["order_id"])
            return events
        if reason is None:
            dispatcher.utter_message(response="utter_ask_return_reason", order_id=order["order_id"])
            return events + [await_answer("return_reason")]
        returns = shop.policy.returns
        if reason == "quality":
            dispatcher.utter_message(response="utter_return_quality", order_id=order["order_id"],
                                     address=returns["address"])
            return events + [SlotSet("return_reason", None)]
        delivered = _delivered_at(order)
        window = timedelta(days=int(returns["no_reason_days"]))
        if delivered and shop.now() - delivered > window:
            dispatcher.utter_message(response="utter_return_past_window", order_id=order["order_id"],
                                     days=returns["no_reason_days"])
            return events + [SlotSet("return_reason", None)] + handoff("return_past_window", "normal")
        dispatcher.utter_message(response="utter_return_no_reason", order_id=order["order_id"],
                                 no_reason_days=returns["no_reason_days"], condition=returns["condition"], opened_food=returns["opened_food"],
                                 address=returns["address"],
                                 refund_days=returns["refund_days_after_received"])
        return events + [SlotSet("return_reason", None)]


class ActionRefundProgress(Action):
    def name(self) -> Text:
        return "action_refund_progress"

    async def run(self, dispatcher, tracker, domain) -> List[Dict]:
        shop = get_shop()
        lookup = find_order(dispatcher, tracker, shop, "refund", lambda o: bool(o.get("refund")))
        order = lookup.order
        if order is None:
            return lookup.events
        refund = order.get("refund")
        if not refund:
            dispatcher.utter_message(response="utter_refund_none", order_id=order["order_id"])
            return lookup.events
        returns = shop.policy.returns
        status = refund["status"]
        amount = f"{float(refund.get('amount', 0)):.2f}"
        if status == "refunded":
            dispatcher.utter_message(response="utter_refund_done", order_id=order["order_id"], amount=amount)
            return lookup.events
        requested = parse_time(refund.get("requested_at"))
        if status != "rejected" and requested and shop.now() - requested > timedelta(days=int(returns["refund_overdue_days"])):
            dispatcher.utter_message(response="utter_refund_overdue", order_id=order["order_id"])
            return lookup.events + handoff("refund_overdue", "high")
        response = {"received": "utter_refund_received", "returning": "utter_refund_returning",
                    "rejected": "utter_refund_rejected"}.get(status, "utter_refund_requested")
        dispatcher.utter_message(response=response, order_id=order["order_id"], amount=amount,
                                 days=returns["refund_days_after_received"])
        return lookup.events


PROBLEM_RESPONSES = {
    "damaged": "utter_problem_damaged",
    "wrong_item": "utter_problem_wrong_item",
    "missing_item": "utter_problem_missing_item",
    "quality": "utter_problem_quality",
}


class ActionReportProblem(Action):
    def name(self) -> Text:
        return "action_report_problem"

    async def run(self, dispatcher, tracker, domain) -> List[Dict]:
        problem = current(tracker, "problem_type")
        events: List[Dict] = [SlotSet("problem_type", problem)] if problem else []
        if problem == "expired":
            # Food past its date is a safety matter: a person takes it at once.
            dispatcher.utter_message(response="utter_problem_expired")
            return events + handoff("expired_goods", "high")
        dispatcher.utter_message(response=PROBLEM_RESPONSES.get(problem, "utter_report_problem"))
        return events
