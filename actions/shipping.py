"""Couriers, dispatch times, delivery estimates, postage, hurrying and tracking."""
from __future__ import annotations

import re
from datetime import timedelta
from typing import Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import (account_of, current, entities_in_line, get_shop, handoff, latest_entity,
                            latest_text, parse_time)
from actions.orders import find_order, order_id_in_play, orders_about


class ActionCourier(Action):
    def name(self) -> Text:
        return "action_courier"

    async def run(self, dispatcher, tracker, domain) -> List[Dict]:
        policy = get_shop().policy
        courier = latest_entity(tracker, "courier")
        free = "、".join(policy.free_couriers)
        if courier is None:
            dispatcher.utter_message(response="utter_courier_default",
                                     courier=policy.default_courier, free_couriers=free)
            return []
        if _refused(tracker, courier):  # 别发韵达: the buyer wants any courier but this one
            others = [c for c in policy.free_couriers if c != courier] or [policy.default_courier]
            dispatcher.utter_message(response="utter_courier_avoid", courier=courier, others="、".join(others))
            return []
        fee = policy.courier_upgrade_fee(courier)
        if fee == 0:
            dispatcher.utter_message(response="utter_courier_free", courier=courier)
        elif fee is None:
            dispatcher.utter_message(response="utter_courier_unavailable", courier=courier,
                                     default=policy.default_courier, free_couriers=free)
        else:
            dispatcher.utter_message(response="utter_courier_upgrade", courier=courier, fee=f"{fee:g}")
        return [SlotSet("courier", courier)]


# "别发韵达" / "不要韵达" / "韵达就算了": a courier the buyer does not want.
# Not "能不能发韵达" / "发不发韵达": those ask for it.
REFUSING_BEFORE = re.compile(r"(?<![能可])(别|不要|不想要|不想|不用|千万别|拒收|不喜欢)\s*(给我|帮我)?\s*(发|用|走)?\s*$")
REFUSING_AFTER = re.compile(r"^\s*(就算了|算了|不要(?![钱加])|不行(?![吗么])|太慢|太差|老是丢|的话不要)")


def _refused(tracker: Tracker, courier: str) -> bool:
    text = latest_text(tracker)
    for entity in entities_in_line(tracker, "courier"):
        if entity.get("value") == courier and "start" in entity:
            before, after = text[max(0, entity["start"] - 8):entity["start"]], text[entity["end"]:]
            return bool(REFUSING_BEFORE.search(before) or REFUSING_AFTER.search(after))
    return False


# "现在拍今天能发吗" / "下单的话几点前": a purchase still to make, not the buyer's order already
# paid ("我今天拍的" is one made).
NEW_PURCHASE = re.compile(r"(现在|今天|马上|立刻|待会|等下)(就)?(拍|下单|买|付款|付)(?![下好完款啦的了过])|"
                          r"(拍|下单|买|付款)的话|(如果|要是)(现在|今天|明天|马上)?(拍|下单|买|付)|"
                          r"几点前|几点之前|截单")


class ActionShipTime(Action):
    def name(self) -> Text:
        return "action_ship_time"

    async def run(self, dispatcher, tracker, domain) -> List[Dict]:
        shop = get_shop()
        new_purchase = NEW_PURCHASE.search(latest_text(tracker)) and not latest_entity(tracker, "order_id")
        order = None if new_purchase else _latest_paid_unshipped(shop, tracker)
        if order is not None:  # "我昨晚付的款今天能发吗": about that order, not a new one
            paid = parse_time(order["paid_at"])
            if _overdue(shop, order):
                dispatcher.utter_message(response="utter_urge_overdue", order_id=order["order_id"])
                return [SlotSet("order_id", order["order_id"])] + handoff("shipping_overdue", "high")
            ship = shop.policy.ship_time(shop.now(), paid_at=paid)
            dispatcher.utter_message(response="utter_ship_time_order", order_id=order["order_id"],
                                     paid_time=paid.strftime("%m月%d日 %H:%M"), leaves_on=ship.leaves_on,
                                     cutoff=ship.cutoff, promise_hours=shop.policy.promise_hours)
            return [SlotSet("order_id", order["order_id"])]
        ship = shop.policy.ship_time(shop.now())
        response = "utter_ship_time_today" if ship.today else "utter_ship_time_later"
        dispatcher.utter_message(response=response, cutoff=ship.cutoff, leaves_on=ship.leaves_on,
                                 promise_hours=shop.policy.promise_hours)
        return []


class ActionDeliveryTime(Action):
    """When goods arrive: for a place the chat is about, that place's days; else for the buyer's own
    order on its way (or paid and waiting) its dates, from the day it left (or leaves) and its address."""

    def name(self) -> Text:
        return "action_delivery_time"

    async def run(self, dispatcher, tracker, domain) -> List[Dict]:
        shop = get_shop()
        policy = shop.policy
        region = current(tracker, "region")
        # A place the chat is about, or a purchase still to make (今天下单几号能到), is a question
        # about that place; else about the buyer's parcel.
        about_a_parcel = not region and not NEW_PURCHASE.search(latest_text(tracker))
        order = _latest_on_its_way(shop, tracker) if about_a_parcel else None
        if order is not None:
            return await _tell_arrival(dispatcher, shop, order)
        if region and policy.region_group(region):
            if not policy.postage(region).shipped:
                dispatcher.utter_message(response="utter_not_shipped", region=region)
                return [SlotSet("region", region)]
            dispatcher.utter_message(response="utter_delivery_time_region", region=region,
                                     days=policy.delivery_days(region))
            return [SlotSet("region", region)]
        dispatcher.utter_message(response="utter_delivery_time_general", days=policy.delivery_days(None))
        return []


def _latest_on_its_way(shop, tracker: Tracker):
    """The buyer's own newest order shipped and not yet delivered, else newest paid and waiting."""
    orders = orders_about(tracker, shop.store.orders_of(account_of(tracker) or ""))
    moving = [o for o in orders if o["status"] == "shipped" and o.get("shipped_at")
              and not any("签收" in e.get("event", "") for e in o.get("logistics") or [])]
    if moving:
        return max(moving, key=lambda o: o["shipped_at"])
    waiting = [o for o in orders if _unshipped(o) and o.get("paid_at")]
    return max(waiting, key=lambda o: o["paid_at"]) if waiting else None


async def _tell_arrival(dispatcher: CollectingDispatcher, shop, order) -> List[Dict]:
    policy = shop.policy
    region = (order.get("receiver") or {}).get("region") or None
    days = policy.delivery_days(region)
    events = [SlotSet("order_id", order["order_id"])]
    if order["status"] == "shipped":
        shipped = parse_time(order["shipped_at"])
        if shop.now().date() > policy.arrival_days(region, shipped.date())[1]:
            # Later than parcels usually take: where it is now, and a person if it has stalled.
            return events + await _tell_logistics(dispatcher, shop, order)
        latest = (order.get("logistics") or [{}])[-1]
        dispatcher.utter_message(response="utter_delivery_time_shipped", order_id=order["order_id"],
                                 shipped=shipped.strftime("%m月%d日"), courier=order.get("courier") or "快递",
                                 region=region or "您那边", days=days,
                                 arrival=policy.arrival_span(region, shipped.date()),
                                 event=latest.get("event") or "暂无更新")
        return events
    if _overdue(shop, order):  # past the promise: no dates, a person
        dispatcher.utter_message(response="utter_urge_overdue", order_id=order["order_id"])
        return events + handoff("shipping_overdue", "high")
    ship = policy.ship_time(shop.now(), paid_at=parse_time(order["paid_at"]))
    leaves = max(ship.leaves, shop.now().date())
    dispatcher.utter_message(response="utter_delivery_time_waiting", order_id=order["order_id"],
                             leaves_on=ship.leaves_on, region=region or "您那边", days=days,
                             arrival=policy.arrival_span(region, leaves))
    return events


class ActionFreeShipping(Action):
    """Postage by region and courier, as the freight template says, before payment.

    A 'free' answer is remembered (free_shipping_promised) so nothing later in the
    chat, bot or agent, asks this buyer for postage.
    """

    def name(self) -> Text:
        return "action_free_shipping"

    async def run(self, dispatcher, tracker, domain) -> List[Dict]:
        policy = get_shop().policy
        region = current(tracker, "region")
        courier = current(tracker, "courier")
        if not region or not policy.region_group(region):
            dispatcher.utter_message(response="utter_free_shipping_ask_region",
                                     free_couriers="、".join(policy.free_couriers))
            return []
        postage = policy.postage(region, courier)
        events = [SlotSet("region", region)]
        if not postage.shipped:
            dispatcher.utter_message(response="utter_not_shipped", region=region)
        elif postage.free:
            dispatcher.utter_message(response="utter_free_shipping_yes", region=region,
                                     courier=postage.courier)
            events.append(SlotSet("free_shipping_promised", True))
        elif tracker.get_slot("free_shipping_promised"):
            # Free shipping was already promised to this buyer: the promise stands.
            dispatcher.utter_message(response="utter_free_shipping_kept", region=region)
        else:
            dispatcher.utter_message(response="utter_free_shipping_fee", region=region,
                                     courier=postage.courier, fee=f"{postage.fee:g}")
        return events


def _unshipped(order) -> bool:
    return order["status"] == "paid"


def _latest_paid_unshipped(shop, tracker: Tracker):
    """The buyer's own newest paid order still waiting to ship (the one named, if named)."""
    account = account_of(tracker)
    named = order_id_in_play(tracker, shop)
    waiting = orders_about(tracker, [o for o in shop.store.orders_of(account or "")
                                     if _unshipped(o) and o.get("paid_at")])
    if named:
        waiting = [o for o in waiting if o["order_id"] == named]
    return max(waiting, key=lambda o: o["paid_at"]) if waiting else None


def _overdue(shop, order) -> bool:
    """Paid, unshipped, and past the shop's promised hours."""
    paid = parse_time(order.get("paid_at"))
    return bool(_unshipped(order) and paid and shop.now() - paid > timedelta(hours=shop.policy.promise_hours))


def _oldest_overdue(shop, tracker: Tracker):
    """The buyer's own oldest paid order still unshipped past the shop's promised hours (of those
    holding the product named, if the line names one)."""
    waiting = orders_about(tracker, [o for o in shop.store.orders_of(account_of(tracker) or "") if _unshipped(o)])
    late = [o for o in waiting if _overdue(shop, o)]
    return min(late, key=lambda o: o["paid_at"]) if late else None


def _shipped(order) -> bool:
    return order["status"] in ("shipped", "delivered", "completed")


class ActionUrgeShipping(Action):
    def name(self) -> Text:
        return "action_urge_shipping"

    async def run(self, dispatcher, tracker, domain) -> List[Dict]:
        shop = get_shop()
        overdue = None if order_id_in_play(tracker, shop) else _oldest_overdue(shop, tracker)
        if overdue is not None:  # past the promise: that order, whichever else is waiting
            dispatcher.utter_message(response="utter_urge_overdue", order_id=overdue["order_id"])
            return [SlotSet("order_id", overdue["order_id"])] + handoff("shipping_overdue", "high")
        lookup = find_order(dispatcher, tracker, shop, "urge_shipping", _unshipped)
        order = lookup.order
        if order is None:
            return lookup.events
        if _shipped(order):
            return lookup.events + await _tell_logistics(dispatcher, shop, order)
        if order["status"] != "paid":
            dispatcher.utter_message(response="utter_order_not_paid", order_id=order["order_id"])
            return lookup.events
        paid = parse_time(order.get("paid_at"))
        if _overdue(shop, order):
            dispatcher.utter_message(response="utter_urge_overdue", order_id=order["order_id"])
            return lookup.events + handoff("shipping_overdue", "high")
        ship = shop.policy.ship_time(shop.now(), paid_at=paid)
        dispatcher.utter_message(response="utter_urge_shipping_soon", order_id=order["order_id"],
                                 leaves_on=ship.leaves_on)
        return lookup.events


async def _tell_logistics(dispatcher: CollectingDispatcher, shop, order) -> List[Dict]:
    events = order.get("logistics") or []
    latest = events[-1] if events else None
    if order["status"] in ("delivered", "completed") or (latest and "签收" in latest["event"]):
        dispatcher.utter_message(response="utter_logistics_delivered", order_id=order["order_id"],
                                 courier=order.get("courier") or "", tracking_no=order.get("tracking_no") or "",
                                 time=(latest or {}).get("time", "")[:16].replace("T", " "))
        return []
    last_time = parse_time(latest["time"]) if latest else None
    stalled = last_time is None or shop.now() - last_time > timedelta(days=shop.policy.stalled_after_days)
    if stalled:
        dispatcher.utter_message(response="utter_logistics_stalled", order_id=order["order_id"],
                                 courier=order.get("courier") or "", tracking_no=order.get("tracking_no") or "")
        return handoff("logistics_stalled", "normal")
    dispatcher.utter_message(response="utter_logistics_status", order_id=order["order_id"],
                             courier=order.get("courier") or "", tracking_no=order.get("tracking_no") or "",
                             event=latest["event"], time=latest["time"][:16].replace("T", " "))
    return []


class ActionLogistics(Action):
    def name(self) -> Text:
        return "action_logistics"

    async def run(self, dispatcher, tracker, domain) -> List[Dict]:
        from actions.problems import ActionSignedNotReceived, about_signed_not_received

        if about_signed_not_received(tracker):  # "显示签收了但我没收到": not a question of where it is
            return await ActionSignedNotReceived().run(dispatcher, tracker, domain)
        shop = get_shop()
        lookup = find_order(dispatcher, tracker, shop, "logistics", lambda o: o["status"] == "shipped")
        order = lookup.order
        if order is None:
            return lookup.events
        if order["status"] in ("unpaid", "closed"):
            dispatcher.utter_message(response="utter_order_not_paid", order_id=order["order_id"])
            return lookup.events
        if _unshipped(order):
            ship = shop.policy.ship_time(shop.now(), paid_at=parse_time(order.get("paid_at")))
            dispatcher.utter_message(response="utter_not_shipped_yet", order_id=order["order_id"],
                                     leaves_on=ship.leaves_on)
            return lookup.events
        return lookup.events + await _tell_logistics(dispatcher, shop, order)
