"""Returns, exchanges and refunds: the order's own answer, and what the desk should keep.

Problems with received goods (damaged, missing...) are actions/problems.py's. Here: a
return or an exchange of a received order, with who pays the postage (the reason and
the order's 运费险); a refund of a paid order not yet shipped (未发货仅退款, asked on the
order page); the tracking number of a parcel sent back, kept on the buyer's case; and
refund and after-sales progress.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action
from rasa_sdk.events import SlotSet

from actions.common import (account_of, await_answer, current, get_shop, handoff, latest_entity, latest_text,
                            mentions, parse_time)
from actions.orders import delivered_at, find_order
from shopbot.shop.aftersale_policy import agent_confirms_within_hours
from shopbot.shop.tracking_numbers import tracking_number_in

QUALITY_WORDS = ("质量", "坏", "碎", "破", "漏", "霉", "虫", "过期", "发错", "少发", "变质", "异物")
NO_REASON_WORDS = ("不喜欢", "不想要", "不合口味", "不好吃", "买多了", "拍错", "无理由", "不需要")
EXCHANGE_WORDS = ("换货", "换一个", "换一袋", "换一盒", "换成", "调换", "换个口味", "换口味")
# A buyer who no longer wants what they paid for.
NOT_WANTED = ("不想要", "不要了", "取消", "拍错", "拍多")
# Words of a buyer who wants the money back, not goods sent back: a paid order not yet shipped fits.
REFUND_WORDS = ("退款", "退钱", "买多了") + NOT_WANTED
WANTS_REFUND_NOW = NOT_WANTED + ("没发货", "未发货")
CASE_WORDS = ("售后", "申请", "工单")  # 我的售后进度: the desk's cases, not an order's refund


def refund_before_shipping(dispatcher, shop, order) -> None:
    """未发货仅退款: a paid order still in the warehouse is refunded on request, no return needed."""
    dispatcher.utter_message(response="utter_refund_before_shipping", order_id=order["order_id"],
                             hours=int(shop.policy.returns.get("unshipped_refund_hours", 24)))


def _wanted_for(text: str):
    """Which orders a return line may be about: received ones, and paid unshipped ones for a refund."""
    if mentions(text, *REFUND_WORDS) and "退货" not in text:
        return lambda order: _received(order) or order["status"] == "paid"
    return _received


def kept_return_parcel(dispatcher, tracker) -> Optional[List[Dict[str, Any]]]:
    """A tracking number of a parcel sent back, for the buyer's case: given to the desk when its shape
    fits its courier, else the buyer is asked to check it. None when the line gives none."""
    found = tracking_number_in(latest_text(tracker), latest_entity(tracker, "courier"))
    if found is None:
        return None
    if not found.well_formed:
        dispatcher.utter_message(response="utter_return_tracking_check", tracking_no=found.number,
                                 courier=found.courier or "快递")
        return []
    # The desk keeps it on the buyer's case and says which one (or that there is none).
    dispatcher.utter_message(json_message={"return_parcel": {"tracking": found.number, "courier": found.courier}})
    return []


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
        parcel = kept_return_parcel(dispatcher, tracker) if account_of(tracker) else None
        if parcel is not None:
            return parcel
        text = latest_text(tracker)
        reason = return_reason(tracker)
        lookup = find_order(dispatcher, tracker, shop, "return", _wanted_for(text))
        order = lookup.order
        events = lookup.events + ([SlotSet("return_reason", reason)] if reason else [])
        if order is None:
            return events
        if order["status"] == "paid":
            refund_before_shipping(dispatcher, shop, order)
            return events
        if not _received(order):
            dispatcher.utter_message(response="utter_return_not_received", order_id=order["order_id"])
            return events
        if mentions(text, *EXCHANGE_WORDS):
            return events + self._exchange(dispatcher, tracker, shop, order, reason)
        if reason is None:
            dispatcher.utter_message(response="utter_ask_return_reason", order_id=order["order_id"])
            return events + [await_answer("return_reason")]
        returns = shop.policy.returns
        if reason == "quality":
            dispatcher.utter_message(response="utter_return_quality", order_id=order["order_id"],
                                     address=returns["address"])
            return events + [SlotSet("return_reason", None)]
        delivered = delivered_at(order)
        window = timedelta(days=int(returns["no_reason_days"]))
        if delivered and shop.now() - delivered > window:
            dispatcher.utter_message(response="utter_return_past_window", order_id=order["order_id"],
                                     days=returns["no_reason_days"])
            return events + [SlotSet("return_reason", None)] + handoff("return_past_window", "normal")
        insured = bool(order.get("freight_insurance"))
        dispatcher.utter_message(response="utter_return_no_reason_insured" if insured else "utter_return_no_reason",
                                 order_id=order["order_id"],
                                 no_reason_days=returns["no_reason_days"], condition=returns["condition"], opened_food=returns["opened_food"],
                                 address=returns["address"],
                                 refund_days=returns["refund_days_after_received"])
        return events + [SlotSet("return_reason", None)]

    @staticmethod
    def _exchange(dispatcher, tracker, shop, order, reason: Optional[str]) -> List[Dict]:
        """换货: a case an agent confirms; who pays the postage depends on why."""
        dispatcher.utter_message(json_message={"case": {
            "order_id": order["order_id"], "items": order.get("items") or [], "problem": "exchange",
            "words": latest_text(tracker), "proposal": "换货", "urgent": False, "submit": True}})
        hours = agent_confirms_within_hours(shop.policy.settings)
        returns = shop.policy.returns
        if reason == "quality":
            dispatcher.utter_message(response="utter_exchange_quality", order_id=order["order_id"], hours=hours)
        else:
            dispatcher.utter_message(response="utter_exchange_no_reason", order_id=order["order_id"], hours=hours,
                                     condition=returns["condition"],
                                     insurance="您的订单有运费险,寄回的运费可以理赔哦" if order.get("freight_insurance")
                                     else "寄回运费需要您承担")
        return [SlotSet("return_reason", None)]


class ActionRefundProgress(Action):
    def name(self) -> Text:
        return "action_refund_progress"

    async def run(self, dispatcher, tracker, domain) -> List[Dict]:
        shop = get_shop()
        if account_of(tracker):
            parcel = kept_return_parcel(dispatcher, tracker)
            if parcel is not None:
                return parcel
            if mentions(latest_text(tracker), *CASE_WORDS):
                # The desk keeps the cases: it answers with their states (none: it says so).
                dispatcher.utter_message(json_message={"case_progress": {"say_none": True}})
                return []
            dispatcher.utter_message(json_message={"case_progress": {"say_none": False}})
        if mentions(latest_text(tracker), *WANTS_REFUND_NOW):  # 还没发货 不想要了: a refund to ask for, not one asked
            return await ActionReturn().run(dispatcher, tracker, domain)
        lookup = find_order(dispatcher, tracker, shop, "refund", lambda o: bool(o.get("refund")))
        order = lookup.order
        if order is None:
            return lookup.events
        refund = order.get("refund")
        if not refund:
            if order["status"] == "paid":
                refund_before_shipping(dispatcher, shop, order)
            else:
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
