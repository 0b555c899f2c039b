"""Couriers, dispatch times, delivery estimates, postage, hurrying and tracking."""
from __future__ import annotations

import json
import shutil
from collections import defaultdict
from datetime import datetime, timedelta

import pytest

from actions.shipping import (ActionCourier, ActionDeliveryTime, ActionFreeShipping, ActionLogistics,
                              ActionShipTime, ActionUrgeShipping)
from tests.actions_support import run, tracker, user
from tests.shop_action_helpers import (all_orders, ask, assert_hands_off, assert_no_handoff,
                                       everything_sent, hours_since, last_logistics_at, pick_order,
                                       render, responses, shop_at, shop_dir_copy, restart_with,
                                       signed_at, slot_sets, SHOP_DIR)


# -- couriers -----------------------------------------------------------------------
def courier_line(text: str, courier: str):
    """Run the courier action on a line naming `courier`, with the position the NLU gives it."""
    start = text.index(courier)
    entities = [{"entity": "courier", "value": courier, "start": start, "end": start + len(courier)}]
    return run(ActionCourier(), tracker([user(text, "ask_courier", entities)], {}))


@pytest.mark.parametrize("text", ["别发韵达", "不要给我发韵达哦", "韵达就算了，太慢了", "千万别用韵达"])
def test_a_courier_the_buyer_refuses_is_not_offered_back(shop, text):
    messages, events = courier_line(text, "韵达")
    assert responses(messages) == ["utter_courier_avoid"], text
    reply = render(messages[0])
    assert "不给您发韵达" in reply and "可以发韵达" not in reply
    assert all(c in reply for c in shop.policy.free_couriers if c != "韵达")
    assert events == []


@pytest.mark.parametrize("text", ["能发韵达吗", "能不能发韵达", "你们发不发韵达", "韵达不行吗"])
def test_a_courier_asked_for_is_still_offered(shop, text):
    messages, _ = courier_line(text, "韵达")
    assert responses(messages) == ["utter_courier_free"], text


def test_courier_question_names_the_default_and_free_couriers_from_settings(shop):
    messages, events = ask(ActionCourier(), "发什么快递", "ask_courier")
    assert responses(messages) == ["utter_courier_default"]
    text = render(messages[0])
    assert f"默认发{shop.policy.default_courier}" in text
    for courier in shop.policy.free_couriers:
        assert courier in text
    assert events == []


def test_a_free_courier_can_be_chosen_at_no_cost(shop):
    courier = next(c for c in shop.policy.free_couriers if c != shop.policy.default_courier)
    messages, events = ask(ActionCourier(), f"能发{courier}吗", "ask_courier", {"courier": courier})
    assert responses(messages) == ["utter_courier_free"]
    assert slot_sets(events) == {"courier": courier}


def test_an_upgrade_courier_costs_the_fee_from_settings(shop):
    upgrade = shop.policy.settings["couriers"]["upgrades"][0]
    messages, events = ask(ActionCourier(), f"能发{upgrade['name']}吗", "ask_courier",
                           {"courier": upgrade["name"]})
    assert responses(messages) == ["utter_courier_upgrade"]
    assert f"需要补{upgrade['fee']:g}元的差价" in render(messages[0])
    assert slot_sets(events) == {"courier": upgrade["name"]}


def test_an_unavailable_courier_is_declined_with_the_default_offered(shop):
    courier = shop.policy.settings["couriers"]["unavailable"][0]
    messages, _ = ask(ActionCourier(), f"能发{courier}吗", "ask_courier", {"courier": courier})
    assert responses(messages) == ["utter_courier_unavailable"]
    text = render(messages[0])
    assert f"没有和{courier}合作" in text
    assert f"默认发{shop.policy.default_courier}" in text


# -- dispatch time --------------------------------------------------------------------
def clock(day: str, hhmm: str) -> str:
    return f"{day}T{hhmm}:00+08:00"


MONDAY, SATURDAY, SUNDAY = "2026-11-23", "2026-11-28", "2026-11-29"


def cutoff_minus(shop, minutes: int) -> str:
    cut = datetime.strptime(shop.policy.cutoff, "%H:%M") - timedelta(minutes=minutes)
    return cut.strftime("%H:%M")


def test_paid_before_the_cutoff_ships_today(shop):
    assert datetime.fromisoformat(MONDAY).weekday() == 0
    shop_at(shop, clock(MONDAY, cutoff_minus(shop, 1)))
    messages, _ = ask(ActionShipTime(), "今天能发吗", "ask_ship_time")
    assert responses(messages) == ["utter_ship_time_today"]
    text = render(messages[0])
    assert f"每天{shop.policy.cutoff}前付款" in text
    assert f"{shop.policy.promise_hours}小时内" in text


def test_paid_at_or_after_the_cutoff_ships_tomorrow(shop):
    for moment in (shop.policy.cutoff, "22:30"):
        shop_at(shop, clock(MONDAY, moment))
        messages, _ = ask(ActionShipTime(), "今天能发吗", "ask_ship_time")
        assert responses(messages) == ["utter_ship_time_later"]
        assert messages[0]["leaves_on"] == "明天"


def test_paid_on_saturday_evening_ships_on_monday_because_sunday_is_no_ship_day(shop):
    shop_at(shop, clock(SATURDAY, "20:00"))
    messages, _ = ask(ActionShipTime(), "今天能发吗", "ask_ship_time")
    assert responses(messages) == ["utter_ship_time_later"]
    assert "现在付款的话周一为您安排发出" in render(messages[0])


def test_paid_on_sunday_morning_ships_the_next_day_even_before_the_cutoff(shop):
    shop_at(shop, clock(SUNDAY, "09:00"))
    messages, _ = ask(ActionShipTime(), "今天能发吗", "ask_ship_time")
    assert responses(messages) == ["utter_ship_time_later"]
    assert messages[0]["leaves_on"] == "明天"


def test_a_buyer_who_paid_last_night_is_told_when_that_order_leaves_not_to_pay_now(shop):
    """我昨晚付的款今天能发吗: paid after yesterday's cut-off, it leaves today, by the buyer's own order."""
    order = pick_order(shop, lambda o: o["status"] == "paid" and o["paid_at"])
    paid = datetime.fromisoformat(order["paid_at"])
    others = [o for o in all_orders(shop) if o["account"] == order["account"] and o["status"] == "paid"
              and o["paid_at"] and o["paid_at"] > order["paid_at"]]
    assert not others, "precondition: this is the buyer's newest paid order"
    next_morning = (paid + timedelta(days=1)).replace(hour=9, minute=0)
    while next_morning.weekday() == 6:  # the warehouse does not ship on Sundays
        next_morning += timedelta(days=1)
    shop_at(shop, next_morning.isoformat())
    messages, events = ask(ActionShipTime(), "我昨晚付的款今天能发吗", "ask_ship_time", account=order["account"])
    assert hours_since(shop, order["paid_at"]) < shop.policy.promise_hours, "precondition: not overdue"
    assert responses(messages) == ["utter_ship_time_order"]
    text = render(messages[0])
    assert order["order_id"] in text and "现在付款" not in text
    assert messages[0]["leaves_on"] == "今天"
    assert_no_handoff(events)


@pytest.mark.parametrize("text", ["现在拍今天能发吗", "今天下单什么时候发货", "下单的话几点前能当天发"])
def test_a_buyer_with_a_paid_order_asking_about_a_purchase_to_make_gets_the_rule_not_that_order(shop, text):
    order = pick_order(shop, lambda o: o["status"] == "paid" and o["paid_at"])
    messages, _ = ask(ActionShipTime(), text, "ask_ship_time", account=order["account"])
    assert responses(messages)[0] in ("utter_ship_time_today", "utter_ship_time_later"), text
    for paid_already in ("我今天拍的什么时候发", "今天付款了什么时候发", "今天拍下的什么时候能发", "如果今天还不发我就退款"):
        mine, _ = ask(ActionShipTime(), paid_already, "ask_ship_time", account=order["account"])
        assert responses(mine)[0] in ("utter_ship_time_order", "utter_urge_overdue"), paid_already


def test_an_anonymous_buyer_gets_the_general_rule(shop):
    messages, _ = ask(ActionShipTime(), "我昨晚付的款今天能发吗", "ask_ship_time")
    assert responses(messages)[0] in ("utter_ship_time_today", "utter_ship_time_later")


# -- delivery time ----------------------------------------------------------------------
@pytest.mark.parametrize("region", ["上海", "新疆", "四川", "北京"])
def test_delivery_days_follow_the_region_group_in_settings(shop, region):
    group = shop.policy.region_group(region)
    expected = shop.policy.settings["shipping"]["delivery_days"][group]
    messages, events = ask(ActionDeliveryTime(), f"发{region}几天到", "ask_delivery_time",
                           {"region": region})
    assert responses(messages) == ["utter_delivery_time_region"]
    assert f"发到{region}一般{expected}天左右" in render(messages[0])
    assert slot_sets(events) == {"region": region}


def test_delivery_days_use_the_region_given_earlier_in_the_chat(shop):
    messages, _ = ask(ActionDeliveryTime(), "几天能到", "ask_delivery_time", slots={"region": "新疆"})
    assert messages[0]["days"] == shop.policy.settings["shipping"]["delivery_days"]["remote"]


def test_delivery_days_without_a_region_span_the_fastest_to_the_slowest_group(shop):
    spans = [tuple(int(x) for x in d.split("-"))
             for d in shop.policy.settings["shipping"]["delivery_days"].values()]
    messages, events = ask(ActionDeliveryTime(), "几天能到", "ask_delivery_time")
    assert responses(messages) == ["utter_delivery_time_general"]
    assert messages[0]["days"] == f"{min(s[0] for s in spans)}-{max(s[1] for s in spans)}"
    assert events == []


def test_general_delivery_days_stay_right_with_two_digit_days_in_settings(shop, tmp_path):
    def edit(settings):
        settings["shipping"]["delivery_days"]["remote"] = "7-10"
    restart_with(shop, shop_dir_copy(tmp_path, edit))
    messages, _ = ask(ActionDeliveryTime(), "几天能到", "ask_delivery_time")
    assert messages[0]["days"] == "1-10"


def test_delivery_time_to_a_region_the_shop_does_not_ship_to_gives_no_estimate(shop):
    messages, _ = ask(ActionDeliveryTime(), "发香港几天到", "ask_delivery_time", {"region": "香港"})
    assert responses(messages) == ["utter_not_shipped"]
    assert "天左右" not in render(messages[0])


def _newest(shop, account, status, stamp):
    return max((o for o in all_orders(shop) if o["account"] == account and o["status"] == status and o.get(stamp)),
               key=lambda o: o[stamp])


def test_a_buyer_with_a_parcel_on_its_way_is_told_when_that_parcel_arrives(shop):
    """几天能到, from a buyer whose order has shipped: its own dates, from the day it left and its address."""
    order = pick_order(shop, lambda o: o["status"] == "shipped" and o.get("shipped_at") and not any(
        "签收" in e["event"] for e in o.get("logistics") or []))
    order = _newest(shop, order["account"], "shipped", "shipped_at")
    messages, events = ask(ActionDeliveryTime(), "几天能到啊", "ask_delivery_time", account=order["account"])
    assert responses(messages) == ["utter_delivery_time_shipped"]
    region = order["receiver"]["region"]
    days = shop.policy.delivery_days(region)
    first = datetime.fromisoformat(order["shipped_at"]).date() + timedelta(days=int(days.split("-")[0]))
    text = render(messages[0])
    assert order["order_id"] in text and region in text and first.strftime("%m月%d日") in text
    assert order["logistics"][-1]["event"] in text
    assert slot_sets(events) == {"order_id": order["order_id"]}


def test_a_purchase_still_to_make_gets_the_places_days_not_a_parcel_on_its_way(shop):
    order = pick_order(shop, lambda o: o["status"] == "shipped")
    messages, _ = ask(ActionDeliveryTime(), "今天下单的话几号能到", "ask_delivery_time", account=order["account"])
    assert responses(messages) == ["utter_delivery_time_general"]


def test_a_parcel_later_than_parcels_usually_take_gets_its_tracking_and_a_person_if_stalled(shop):
    order = pick_order(shop, lambda o: o["status"] == "shipped" and o.get("shipped_at") and not any(
        "签收" in e["event"] for e in o.get("logistics") or []))
    order = _newest(shop, order["account"], "shipped", "shipped_at")
    last = shop.policy.arrival_days(order["receiver"]["region"],
                                    datetime.fromisoformat(order["shipped_at"]).date())[1]
    shop_at(shop, f"{(last + timedelta(days=3)).isoformat()}T12:00:00+08:00")
    messages, events = ask(ActionDeliveryTime(), "几天能到啊", "ask_delivery_time", account=order["account"])
    assert responses(messages) == ["utter_logistics_stalled"]  # no news for days: a person looks into it
    assert order["order_id"] in render(messages[0]) and "预计" not in render(messages[0])
    assert_hands_off(events, "logistics_stalled", "normal")


def test_a_buyer_whose_paid_order_waits_is_told_the_day_it_leaves_and_arrives(shop, tmp_path):
    order = pick_order(shop, lambda o: o["status"] == "paid" and o["paid_at"])
    order = _newest(shop, order["account"], "paid", "paid_at")
    # This buyer's parcels already on their way are delivered.
    with_orders(shop, tmp_path, lambda o: o["account"] == order["account"] and o["status"] == "shipped"
                and o.update(status="delivered"))
    paid = datetime.fromisoformat(order["paid_at"])
    shop_at(shop, (paid + timedelta(minutes=30)).isoformat())
    messages, _ = ask(ActionDeliveryTime(), "什么时候能收到", "ask_delivery_time", account=order["account"])
    assert responses(messages) == ["utter_delivery_time_waiting"]
    ship = shop.policy.ship_time(shop.now(), paid_at=paid)
    assert messages[0]["leaves_on"] == ship.leaves_on and order["order_id"] in render(messages[0])
    assert messages[0]["arrival"] == shop.policy.arrival_span(order["receiver"]["region"], ship.leaves)


def test_a_waiting_order_past_the_promise_gets_a_person_not_dates(shop, tmp_path):
    def newest_paid_and_late(order):
        return is_overdue(shop, order) and not any(
            o["account"] == order["account"] and o["status"] == "paid" and o["paid_at"] > order["paid_at"]
            for o in all_orders(shop))
    order = pick_order(shop, newest_paid_and_late)
    with_orders(shop, tmp_path, lambda o: o["account"] == order["account"] and o["status"] == "shipped"
                and o.update(status="delivered"))
    messages, events = ask(ActionDeliveryTime(), "几天能到", "ask_delivery_time", account=order["account"])
    assert responses(messages) == ["utter_urge_overdue"]
    assert_hands_off(events, "shipping_overdue", "high")


def test_a_product_named_after_an_order_was_discussed_finds_its_own_order(shop):
    account, orders = next((a, o) for a, o in by_account(shop, lambda o: o["status"] == "paid").items()
                           if len(o) >= 2 and any(not is_overdue(shop, order) for order in o))
    recent = next(o for o in orders if not is_overdue(shop, o))
    other = next(o for o in orders if o is not recent)
    product = next(i["name"] for i in recent["items"] if i["name"] not in {x["name"] for x in other["items"]})
    messages, _ = ask(ActionUrgeShipping(), f"{product}怎么还没发", "urge_shipping", {"product": product},
                      slots={"order_id": other["order_id"]}, account=account)
    assert messages[0]["order_id"] == recent["order_id"]


def test_a_place_the_chat_is_about_is_answered_for_that_place_even_with_an_order_on_its_way(shop):
    order = pick_order(shop, lambda o: o["status"] == "shipped")
    named, _ = ask(ActionDeliveryTime(), "发新疆几天到", "ask_delivery_time", {"region": "新疆"},
                   account=order["account"])
    assert responses(named) == ["utter_delivery_time_region"]
    earlier, _ = ask(ActionDeliveryTime(), "那几天能到", "ask_delivery_time", slots={"region": "新疆"},
                     account=order["account"])
    assert responses(earlier) == ["utter_delivery_time_region"]


# -- postage --------------------------------------------------------------------------
def test_postage_to_shanghai_is_free_and_the_promise_is_remembered(shop):
    messages, events = ask(ActionFreeShipping(), "上海包邮吗", "ask_free_shipping", {"region": "上海"})
    assert responses(messages) == ["utter_free_shipping_yes"]
    assert f"默认发{shop.policy.default_courier}" in render(messages[0])
    assert slot_sets(events) == {"region": "上海", "free_shipping_promised": True}


def test_postage_to_xinjiang_is_the_surcharge_from_settings(shop):
    surcharge = shop.policy.settings["shipping"]["surcharge"]["remote"]
    messages, events = ask(ActionFreeShipping(), "新疆包邮吗", "ask_free_shipping", {"region": "新疆"})
    assert responses(messages) == ["utter_free_shipping_fee"]
    assert f"需要运费{surcharge:g}元" in render(messages[0])
    assert slot_sets(events) == {"region": "新疆"}


def test_postage_to_xinjiang_by_an_upgrade_courier_adds_both_fees(shop):
    surcharge = shop.policy.settings["shipping"]["surcharge"]["remote"]
    upgrade = shop.policy.settings["couriers"]["upgrades"][0]
    messages, _ = ask(ActionFreeShipping(), "新疆发顺丰多少运费", "ask_free_shipping",
                      {"region": "新疆", "courier": upgrade["name"]})
    assert responses(messages) == ["utter_free_shipping_fee"]
    assert messages[0]["fee"] == f"{surcharge + upgrade['fee']:g}"
    assert messages[0]["courier"] == upgrade["name"]


def test_hong_kong_is_not_shipped_and_nothing_is_promised(shop):
    messages, events = ask(ActionFreeShipping(), "香港包邮吗", "ask_free_shipping", {"region": "香港"})
    assert responses(messages) == ["utter_not_shipped"]
    assert "free_shipping_promised" not in slot_sets(events)


def test_once_free_shipping_was_promised_no_fee_is_ever_asked_afterwards(shop):
    _, events = ask(ActionFreeShipping(), "上海包邮吗", "ask_free_shipping", {"region": "上海"})
    promised = slot_sets(events)
    assert promised["free_shipping_promised"] is True
    surcharge = shop.policy.settings["shipping"]["surcharge"]["remote"]
    for region in ("新疆", "西藏", "内蒙古"):
        messages, _ = ask(ActionFreeShipping(), f"那{region}呢", "ask_free_shipping", {"region": region},
                          slots=promised)
        assert responses(messages) == ["utter_free_shipping_kept"]
        assert "fee" not in messages[0]
        assert f"{surcharge:g}元" not in render(messages[0])


def test_postage_without_a_region_asks_for_the_province(shop):
    messages, events = ask(ActionFreeShipping(), "包邮吗", "ask_free_shipping")
    assert responses(messages) == ["utter_free_shipping_ask_region"]
    assert events == []


# -- the sample orders ----------------------------------------------------------------
def with_orders(shop, tmp_path, change):
    """The shop's orders with `change(order)` applied to each, loaded as a merchant's new orders.json."""
    edited = tmp_path / "orders_shop"
    shutil.copytree(SHOP_DIR, edited)
    orders = json.loads((edited / "orders.json").read_text(encoding="utf-8"))
    for order in orders["orders"]:
        change(order)
    (edited / "orders.json").write_text(json.dumps(orders, ensure_ascii=False), encoding="utf-8")
    shop.store.sync_from_files(edited)


def by_account(shop, wanted):
    grouped = defaultdict(list)
    for order in all_orders(shop):
        if wanted(order):
            grouped[order["account"]].append(order)
    return grouped


def is_overdue(shop, order):
    return order["status"] == "paid" and hours_since(shop, order["paid_at"]) > shop.policy.promise_hours


def is_fresh_paid(shop, order):
    return order["status"] == "paid" and hours_since(shop, order["paid_at"]) < shop.policy.promise_hours


def is_in_transit(shop, order):
    last = last_logistics_at(order)
    return (order["status"] == "shipped" and last is not None and signed_at(order) is None
            and shop.now() - last < timedelta(days=shop.policy.stalled_after_days))


def is_stalled(shop, order):
    last = last_logistics_at(order)
    return (order["status"] == "shipped" and last is not None
            and shop.now() - last > timedelta(days=shop.policy.stalled_after_days))


def another_account(shop, order):
    return next(o["account"] for o in all_orders(shop) if o["account"] != order["account"])


def details_of(order):
    receiver = order["receiver"]
    details = [receiver["address"], receiver["phone"], receiver["city"]]
    details += [item["name"] for item in order["items"]]
    if order.get("tracking_no"):
        details.append(order["tracking_no"])
    return details


# -- urging shipment --------------------------------------------------------------------
def test_urging_with_several_unshipped_orders_asks_which_one(shop, tmp_path):
    account, orders = next((a, o) for a, o in by_account(shop, lambda o: o["status"] == "paid").items()
                           if len(o) >= 3)
    # The ones past the promise have shipped meanwhile (one late would be answered first).
    orders = [order for order in orders if not is_overdue(shop, order)]
    kept = {order["order_id"] for order in orders}
    assert len(kept) >= 2, "precondition: two orders within the promise"
    with_orders(shop, tmp_path, lambda o: o["account"] == account and o["status"] == "paid"
                and o["order_id"] not in kept and o.update(status="shipped"))
    messages, events = ask(ActionUrgeShipping(), "怎么还不发货", "urge_shipping", account=account)
    assert responses(messages) == ["utter_ask_which_order"]
    offered = [b["payload"] for b in messages[0]["buttons"]]
    assert set(offered) <= {o["order_id"] for o in orders}
    assert len(offered) == min(len(orders), 5)
    for order in orders[:5]:
        assert order["order_id"] in render(messages[0])
    assert slot_sets(events) == {"awaiting": "urge_shipping"}
    assert_no_handoff(events)


def test_urging_with_an_order_past_the_promise_among_others_takes_that_order_to_a_person(shop):
    account, orders = next((a, o) for a, o in by_account(shop, lambda o: o["status"] == "paid").items()
                           if len(o) >= 2 and any(is_overdue(shop, order) for order in o))
    oldest_late = min((o for o in orders if is_overdue(shop, o)), key=lambda o: o["paid_at"])
    messages, events = ask(ActionUrgeShipping(), "怎么还不发货", "urge_shipping", account=account)
    assert responses(messages) == ["utter_urge_overdue"]  # not a list to choose from first
    assert messages[0]["order_id"] == oldest_late["order_id"]
    assert_hands_off(events, "shipping_overdue", "high")


def test_urging_about_a_product_answers_about_the_order_holding_it_not_the_late_one(shop):
    account, orders = next((a, o) for a, o in by_account(shop, lambda o: o["status"] == "paid").items()
                           if len(o) >= 2 and any(is_overdue(shop, order) for order in o)
                           and any(not is_overdue(shop, order) for order in o))
    recent = next(o for o in orders if not is_overdue(shop, o))
    product = recent["items"][0]["name"]
    messages, events = ask(ActionUrgeShipping(), f"{product}怎么还没发货", "urge_shipping", {"product": product},
                           account=account)
    assert responses(messages) == ["utter_urge_shipping_soon"]
    assert messages[0]["order_id"] == recent["order_id"]
    assert_no_handoff(events)


def test_urging_with_one_unshipped_order_answers_about_it_directly(shop):
    account, (order,) = next((a, o) for a, o in by_account(shop, lambda o: o["status"] == "paid").items()
                             if len(o) == 1)
    messages, events = ask(ActionUrgeShipping(), "怎么还不发货", "urge_shipping", account=account)
    assert responses(messages)[0] in ("utter_urge_shipping_soon", "utter_urge_overdue")
    assert messages[0]["order_id"] == order["order_id"]
    assert slot_sets(events)["order_id"] == order["order_id"]


def test_urging_an_order_within_the_promise_says_when_it_leaves(shop):
    order = pick_order(shop, lambda o: is_fresh_paid(shop, o))
    messages, events = ask(ActionUrgeShipping(), "快点发货", "urge_shipping",
                           {"order_id": order["order_id"]}, account=order["account"])
    assert responses(messages) == ["utter_urge_shipping_soon"]
    assert messages[0]["leaves_on"] == shop.policy.ship_time(shop.now()).leaves_on
    assert slot_sets(events) == {"order_id": order["order_id"], "awaiting": None}
    assert_no_handoff(events)


def test_urging_an_overdue_order_apologises_and_hands_off_with_high_priority(shop):
    order = pick_order(shop, lambda o: is_overdue(shop, o))
    messages, events = ask(ActionUrgeShipping(), "三天了还不发货", "urge_shipping",
                           {"order_id": order["order_id"]}, account=order["account"])
    assert responses(messages) == ["utter_urge_overdue"]
    assert order["order_id"] in render(messages[0])
    assert_hands_off(events, "shipping_overdue", "high")


def test_an_order_becomes_overdue_once_the_promise_hours_pass(shop):
    order = pick_order(shop, lambda o: is_fresh_paid(shop, o))
    paid = datetime.fromisoformat(order["paid_at"])
    shop_at(shop, (paid + timedelta(hours=shop.policy.promise_hours, minutes=1)).isoformat())
    messages, events = ask(ActionUrgeShipping(), "还不发货", "urge_shipping",
                           {"order_id": order["order_id"]}, account=order["account"])
    assert responses(messages) == ["utter_urge_overdue"]
    assert_hands_off(events, "shipping_overdue", "high")


def test_urging_an_unpaid_order_says_it_needs_paying_first(shop):
    order = pick_order(shop, lambda o: o["status"] == "unpaid")
    messages, events = ask(ActionUrgeShipping(), "催一下", "urge_shipping",
                           {"order_id": order["order_id"]}, account=order["account"])
    assert responses(messages) == ["utter_order_not_paid"]
    assert_no_handoff(events)


def test_urging_a_shipped_order_shows_its_logistics(shop):
    order = pick_order(shop, lambda o: is_in_transit(shop, o))
    messages, _ = ask(ActionUrgeShipping(), "催一下", "urge_shipping",
                      {"order_id": order["order_id"]}, account=order["account"])
    assert responses(messages) == ["utter_logistics_status"]
    assert order["tracking_no"] in render(messages[0])


def test_urging_a_completed_order_says_it_was_delivered_not_that_it_is_unpaid(shop):
    order = pick_order(shop, lambda o: o["status"] == "completed")
    messages, events = ask(ActionUrgeShipping(), "催一下", "urge_shipping",
                           {"order_id": order["order_id"]}, account=order["account"])
    assert responses(messages) == ["utter_logistics_delivered"]
    assert_no_handoff(events)


def test_anonymous_buyer_urging_is_asked_to_log_in(shop):
    order = pick_order(shop, lambda o: is_overdue(shop, o))
    messages, events = ask(ActionUrgeShipping(), "催一下", "urge_shipping", {"order_id": order["order_id"]})
    assert responses(messages) == ["utter_need_account"]
    assert events == []
    for detail in details_of(order):
        assert detail not in everything_sent(messages)


def test_urging_another_accounts_order_reveals_nothing_about_it(shop):
    order = pick_order(shop, lambda o: is_overdue(shop, o))
    messages, events = ask(ActionUrgeShipping(), "催一下", "urge_shipping",
                           {"order_id": order["order_id"]}, account=another_account(shop, order))
    assert responses(messages) == ["utter_order_not_found"]
    sent = everything_sent(messages)
    for detail in details_of(order):
        assert detail not in sent
    assert_no_handoff(events)


# -- logistics -------------------------------------------------------------------------
def test_logistics_in_transit_shows_courier_tracking_number_and_latest_event(shop):
    order = pick_order(shop, lambda o: is_in_transit(shop, o))
    messages, events = ask(ActionLogistics(), "到哪了", "ask_logistics",
                           {"order_id": order["order_id"]}, account=order["account"])
    assert responses(messages) == ["utter_logistics_status"]
    text = render(messages[0])
    latest = order["logistics"][-1]
    assert order["tracking_no"] in text
    assert order["courier"] in text
    assert latest["event"] in text
    assert latest["time"][:16].replace("T", " ") in text
    assert_no_handoff(events)


def test_logistics_without_updates_for_days_apologises_and_hands_off(shop):
    order = pick_order(shop, lambda o: is_stalled(shop, o))
    messages, events = ask(ActionLogistics(), "物流怎么不动了", "ask_logistics",
                           {"order_id": order["order_id"]}, account=order["account"])
    assert responses(messages) == ["utter_logistics_stalled"]
    assert order["tracking_no"] in render(messages[0])
    assert_hands_off(events, "logistics_stalled", "normal")


def test_an_in_transit_parcel_counts_as_stalled_once_the_stall_days_pass(shop):
    order = pick_order(shop, lambda o: is_in_transit(shop, o))
    later = last_logistics_at(order) + timedelta(days=shop.policy.stalled_after_days, hours=1)
    shop_at(shop, later.isoformat())
    messages, events = ask(ActionLogistics(), "到哪了", "ask_logistics",
                           {"order_id": order["order_id"]}, account=order["account"])
    assert responses(messages) == ["utter_logistics_stalled"]
    assert_hands_off(events, "logistics_stalled", "normal")


def test_logistics_of_a_delivered_order_gives_the_signing_time(shop):
    order = pick_order(shop, lambda o: o["status"] == "delivered" and signed_at(o))
    messages, events = ask(ActionLogistics(), "到哪了", "ask_logistics",
                           {"order_id": order["order_id"]}, account=order["account"])
    assert responses(messages) == ["utter_logistics_delivered"]
    assert signed_at(order).strftime("%Y-%m-%d %H:%M") in render(messages[0])
    assert_no_handoff(events)


def test_logistics_of_a_paid_unshipped_order_says_when_it_will_leave(shop):
    order = pick_order(shop, lambda o: o["status"] == "paid")
    messages, _ = ask(ActionLogistics(), "到哪了", "ask_logistics",
                      {"order_id": order["order_id"]}, account=order["account"])
    assert responses(messages) == ["utter_not_shipped_yet"]
    assert messages[0]["leaves_on"] == shop.policy.ship_time(shop.now()).leaves_on


@pytest.mark.parametrize("status", ["unpaid", "closed"])
def test_logistics_of_an_unpaid_or_closed_order_says_so(shop, status):
    order = pick_order(shop, lambda o: o["status"] == status)
    messages, _ = ask(ActionLogistics(), "到哪了", "ask_logistics",
                      {"order_id": order["order_id"]}, account=order["account"])
    assert responses(messages) == ["utter_order_not_paid"]


def test_logistics_question_with_several_shipped_orders_asks_which_one(shop):
    account, orders = next((a, o) for a, o in by_account(shop, lambda o: o["status"] == "shipped").items()
                           if len(o) >= 2)
    messages, events = ask(ActionLogistics(), "我的快递到哪了", "ask_logistics", account=account)
    assert responses(messages) == ["utter_ask_which_order"]
    own = {o["order_id"] for o in orders}
    assert {b["payload"] for b in messages[0]["buttons"]} <= own
    assert slot_sets(events) == {"awaiting": "logistics"}


def test_logistics_question_uses_the_order_number_from_earlier_in_the_chat(shop):
    order = pick_order(shop, lambda o: is_in_transit(shop, o))
    messages, _ = ask(ActionLogistics(), "现在呢", "ask_logistics",
                      slots={"order_id": order["order_id"]}, account=order["account"])
    assert responses(messages) == ["utter_logistics_status"]
    assert messages[0]["order_id"] == order["order_id"]


def test_anonymous_buyer_asking_for_logistics_is_asked_to_log_in(shop):
    order = pick_order(shop, lambda o: is_in_transit(shop, o))
    messages, events = ask(ActionLogistics(), f"{order['order_id']}到哪了", "ask_logistics",
                           {"order_id": order["order_id"]})
    assert responses(messages) == ["utter_need_account"]
    assert events == []
    for detail in details_of(order):
        assert detail not in everything_sent(messages)


def test_another_accounts_order_number_gets_not_found_and_none_of_its_details(shop):
    order = pick_order(shop, lambda o: is_in_transit(shop, o))
    messages, events = ask(ActionLogistics(), f"{order['order_id']}到哪了", "ask_logistics",
                           {"order_id": order["order_id"]}, account=another_account(shop, order))
    assert responses(messages) == ["utter_order_not_found"]
    sent = everything_sent(messages)
    for detail in details_of(order):
        assert detail not in sent
    assert order["receiver"]["name"] not in render(messages[0])
    assert slot_sets(events) == {"order_id": None, "awaiting": "logistics"}
    assert_no_handoff(events)


def test_another_accounts_order_looks_exactly_like_an_order_that_does_not_exist(shop):
    order = pick_order(shop, lambda o: is_in_transit(shop, o))
    stranger = another_account(shop, order)
    fake_id = "1" * len(order["order_id"])
    assert fake_id not in {o["order_id"] for o in all_orders(shop)}
    real, real_events = ask(ActionLogistics(), "到哪了", "ask_logistics",
                            {"order_id": order["order_id"]}, account=stranger)
    fake, fake_events = ask(ActionLogistics(), "到哪了", "ask_logistics",
                            {"order_id": fake_id}, account=stranger)
    assert render(real[0]).replace(order["order_id"], "#") == render(fake[0]).replace(fake_id, "#")
    assert real_events == fake_events
