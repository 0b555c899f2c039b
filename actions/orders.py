"""Finding the buyer's order for a question, the same way for every topic.

Only the account from the channel is searched. An order number the buyer types
that belongs to someone else gets exactly the same answer as one that does not
exist, so nothing about other buyers' orders can be learned from the bot.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Set

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import (account_of, await_answer, entities_in_line, latest_entity, parse_time,
                            signed_in_account)
from shopbot.shop.order_events import signing_event
from shopbot.shop.service import Shop


@dataclass
class Lookup:
    order: Optional[Dict[str, Any]]
    events: List[Dict[str, Any]] = field(default_factory=list)


def products_in_line(tracker: Tracker) -> Set[str]:
    """The products the buyer's latest line names."""
    return {entity.get("value") for entity in entities_in_line(tracker, "product")}


def order_id_in_play(tracker: Tracker, shop: Shop) -> Optional[str]:
    """The order number the buyer just typed, else the one the chat is about, unless the line names
    a product that order does not hold (几天能到, then 草莓干怎么还没发: another order)."""
    typed = latest_entity(tracker, "order_id")
    if typed:
        return typed
    earlier = tracker.get_slot("order_id")
    named = products_in_line(tracker)
    if not earlier or not named:
        return earlier
    order = shop.store.order(earlier, account_of(tracker) or "")
    return earlier if order and named & {item.get("name") for item in order.get("items") or []} else None


def orders_about(tracker: Tracker, orders: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """The orders holding a product the buyer's latest line names ("夏威夷果怎么还没发"), when some
    do; else all of them: a name that fits none of the orders does not hide them."""
    named = products_in_line(tracker)
    holding = [o for o in orders if named & {item.get("name") for item in o.get("items") or []}]
    return holding or orders


def delivered_at(order: Dict[str, Any]):
    """When the courier recorded the parcel signed for, if it did."""
    event = signing_event(order)
    return parse_time(event["time"]) if event else None


def order_label(order: Dict[str, Any]) -> str:
    items = "、".join(i["name"] for i in order.get("items", [])[:2])
    return f"{order['order_id']}({items})"


def find_order(dispatcher: CollectingDispatcher, tracker: Tracker, shop: Shop, topic: str,
               wanted: Callable[[Dict[str, Any]], bool]) -> Lookup:
    """The one order the buyer means, or a question back (and None)."""
    account = signed_in_account(dispatcher, tracker)
    if not account:
        return Lookup(None)
    order_id = order_id_in_play(tracker, shop)
    if order_id:
        order = shop.store.order(order_id, account)
        if order is None:
            dispatcher.utter_message(response="utter_order_not_found", order_id=order_id)
            return Lookup(None, [SlotSet("order_id", None), await_answer(topic)])
        return Lookup(order, [SlotSet("order_id", order_id), await_answer(None)])
    candidates = orders_about(tracker, [o for o in shop.store.orders_of(account) if wanted(o)])
    if len(candidates) == 1:
        order = candidates[0]
        return Lookup(order, [SlotSet("order_id", order["order_id"]), await_answer(None)])
    if not candidates:
        dispatcher.utter_message(response="utter_ask_order_id")
        return Lookup(None, [await_answer(topic)])
    dispatcher.utter_message(
        response="utter_ask_which_order",
        orders="\n".join(order_label(o) for o in candidates[:5]),
        buttons=[{"title": o["order_id"], "payload": o["order_id"]} for o in candidates[:5]],
    )
    return Lookup(None, [await_answer(topic)])
