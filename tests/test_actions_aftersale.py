"""Returns, refund progress and problems with received goods."""
from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

import pytest

from actions.aftersale import ActionRefundProgress, ActionReturn
from tests.shop_action_helpers import (all_orders, ask, assert_hands_off, assert_no_handoff,
                                       everything_sent, pick_order, render, responses, shop_at,
                                       shown, signed_at, slot_sets)


def window(shop) -> timedelta:
    return timedelta(days=int(shop.policy.returns["no_reason_days"]))


def received_within_window(shop, order) -> bool:
    signed = signed_at(order)
    return order["status"] in ("delivered", "completed") and signed is not None \
        and shop.now() - signed < window(shop)


def received_past_window(shop, order) -> bool:
    signed = signed_at(order)
    return order["status"] in ("delivered", "completed") and signed is not None \
        and shop.now() - signed > window(shop)


def return_request(order, text, entities=None, slots=None):
    entities = dict(entities or {}, order_id=order["order_id"])
    return ask(ActionReturn(), text, "request_return", entities, slots, account=order["account"])


# -- returns ---------------------------------------------------------------------------
def test_return_without_a_reason_asks_for_one_and_waits_for_the_answer(shop):
    order = pick_order(shop, lambda o: received_within_window(shop, o))
    messages, events = return_request(order, "我要退货")
    assert responses(messages) == ["utter_ask_return_reason"]
    assert order["order_id"] in render(shown(messages)[0])
    slots = slot_sets(events)
    assert slots["awaiting"] == "return_reason"
    assert slots["order_id"] == order["order_id"]
    assert "return_reason" not in slots
    assert_no_handoff(events)


@pytest.mark.parametrize("text,entities", [
    ("质量有问题 我要退货", {}),
    ("东西发霉了要退", {"problem_type": "quality"}),
    ("收到是碎的 退货", {"problem_type": "damaged"}),
])
def test_quality_return_is_at_the_shops_cost_with_the_return_address(shop, text, entities):
    order = pick_order(shop, lambda o: received_within_window(shop, o))
    messages, events = return_request(order, text, entities)
    assert responses(messages) == ["utter_return_quality"]
    rendered = render(shown(messages)[0])
    assert "运费都由我们承担" in rendered
    assert shop.policy.returns["address"] in rendered
    assert slot_sets(events)["return_reason"] is None  # the return is answered, the form is done
    assert_no_handoff(events)


def test_quality_return_is_accepted_even_after_the_no_reason_window(shop):
    order = pick_order(shop, lambda o: received_past_window(shop, o))
    messages, events = return_request(order, "质量有问题 要退货")
    assert responses(messages) == ["utter_return_quality"]
    assert_no_handoff(events)


def test_no_reason_return_within_the_window_is_at_the_buyers_cost_with_the_address(shop):
    order = pick_order(shop, lambda o: received_within_window(shop, o))
    messages, events = return_request(order, "不喜欢 想退")
    assert responses(messages) == ["utter_return_no_reason"]
    rendered = render(shown(messages)[0])
    returns = shop.policy.returns
    assert "退货运费需要您承担" in rendered
    for fact in (returns["address"], returns["condition"], returns["opened_food"]):
        assert fact in rendered
    assert f"{returns['refund_days_after_received']}天内为您退款" in rendered
    assert_no_handoff(events)


def test_the_answer_to_the_reason_question_continues_the_return(shop):
    order = pick_order(shop, lambda o: received_within_window(shop, o))
    _, first = return_request(order, "我要退货")
    messages, events = ask(ActionReturn(), "不喜欢 想七天无理由退货", "inform",
                           slots=slot_sets(first), account=order["account"])
    assert responses(messages) == ["utter_return_no_reason"]
    assert messages[0]["order_id"] == order["order_id"]
    assert slot_sets(events)["awaiting"] is None


def test_no_reason_return_past_the_window_hands_off(shop):
    order = pick_order(shop, lambda o: received_past_window(shop, o))
    messages, events = return_request(order, "不喜欢 想退")
    assert responses(messages) == ["utter_return_past_window"]
    assert f"超过{shop.policy.returns['no_reason_days']}天" in render(shown(messages)[0])
    assert_hands_off(events, "return_past_window", "normal")


def test_the_no_reason_window_is_counted_from_the_signing_time(shop):
    order = pick_order(shop, lambda o: received_within_window(shop, o))
    signed = signed_at(order)
    shop_at(shop, (signed + window(shop) - timedelta(hours=1)).isoformat())
    messages, _ = return_request(order, "不想要了")
    assert responses(messages) == ["utter_return_no_reason"]
    shop_at(shop, (signed + window(shop) + timedelta(hours=1)).isoformat())
    messages, events = return_request(order, "不想要了")
    assert responses(messages) == ["utter_return_past_window"]
    assert_hands_off(events, "return_past_window", "normal")


def test_return_of_an_order_not_yet_received_waits_for_delivery(shop):
    order = pick_order(shop, lambda o: o["status"] == "shipped")
    messages, events = return_request(order, "不想要了 退货")
    assert responses(messages) == ["utter_return_not_received"]
    assert_no_handoff(events)


def test_anonymous_buyer_asking_to_return_is_asked_to_log_in(shop):
    order = pick_order(shop, lambda o: received_within_window(shop, o))
    messages, _ = ask(ActionReturn(), "我要退货", "request_return", {"order_id": order["order_id"]})
    assert responses(messages) == ["utter_need_account"]


def test_return_of_another_accounts_order_reveals_nothing(shop):
    order = pick_order(shop, lambda o: received_within_window(shop, o))
    stranger = next(o["account"] for o in all_orders(shop) if o["account"] != order["account"])
    messages, events = ask(ActionReturn(), "我要退货", "request_return",
                           {"order_id": order["order_id"]}, account=stranger)
    assert responses(messages) == ["utter_order_not_found"]
    sent = everything_sent(messages)
    for detail in [order["receiver"]["address"], order["tracking_no"]] + [i["name"] for i in order["items"]]:
        assert detail not in sent
    assert_no_handoff(events)


# -- refund progress ---------------------------------------------------------------------
def refund_age(shop, order) -> timedelta:
    return shop.now() - datetime.fromisoformat(order["refund"]["requested_at"])


def overdue_limit(shop) -> timedelta:
    return timedelta(days=int(shop.policy.returns["refund_overdue_days"]))


def refund_order(shop, status, overdue=False):
    return pick_order(shop, lambda o: bool(o.get("refund")) and o["refund"]["status"] == status
                      and (refund_age(shop, o) > overdue_limit(shop)) == overdue)


def refund_request(order):
    return ask(ActionRefundProgress(), "退款到哪了", "ask_refund_progress",
               {"order_id": order["order_id"]}, account=order["account"])


def test_refunded_order_says_done_with_the_amount(shop):
    order = pick_order(shop, lambda o: (o.get("refund") or {}).get("status") == "refunded")
    messages, events = refund_request(order)
    assert responses(messages) == ["utter_refund_done"]
    assert f"{order['refund']['amount']:.2f}元已经退款成功" in render(shown(messages)[0])
    assert_no_handoff(events)


@pytest.mark.parametrize("status,response", [
    ("requested", "utter_refund_requested"),
    ("returning", "utter_refund_returning"),
    ("received", "utter_refund_received"),
])
def test_refund_in_progress_says_where_it_stands(shop, status, response):
    order = refund_order(shop, status)
    messages, events = refund_request(order)
    assert responses(messages) == [response]
    assert f"{order['refund']['amount']:.2f}元" in render(shown(messages)[0])
    assert_no_handoff(events)


def test_refund_waiting_longer_than_settings_allow_is_escalated_with_high_priority(shop):
    order = refund_order(shop, "requested", overdue=True)
    messages, events = refund_request(order)
    assert responses(messages) == ["utter_refund_overdue"]
    assert order["order_id"] in render(shown(messages)[0])
    assert_hands_off(events, "refund_overdue", "high")


def test_a_pending_refund_becomes_overdue_when_the_days_pass(shop):
    order = refund_order(shop, "requested")
    requested = datetime.fromisoformat(order["refund"]["requested_at"])
    shop_at(shop, (requested + overdue_limit(shop) + timedelta(hours=1)).isoformat())
    messages, events = refund_request(order)
    assert responses(messages) == ["utter_refund_overdue"]
    assert_hands_off(events, "refund_overdue", "high")


def test_refund_question_about_an_order_without_a_refund_says_there_is_none(shop):
    order = pick_order(shop, lambda o: not o.get("refund") and o["status"] == "delivered")
    messages, events = refund_request(order)
    assert responses(messages) == ["utter_refund_none"]
    assert_no_handoff(events)


def test_refund_question_with_several_refunds_asks_which_order(shop):
    counts = Counter(o["account"] for o in all_orders(shop) if o.get("refund"))
    account = next(a for a, n in counts.items() if n >= 2)
    own_refunds = {o["order_id"] for o in all_orders(shop) if o["account"] == account and o.get("refund")}
    messages, events = ask(ActionRefundProgress(), "我的退款呢", "ask_refund_progress", account=account)
    assert responses(messages) == ["utter_ask_which_order"]
    assert {b["payload"] for b in messages[0]["buttons"]} <= own_refunds
    assert slot_sets(events) == {"awaiting": "refund"}


def test_refund_of_another_accounts_order_reveals_nothing(shop):
    order = refund_order(shop, "requested")
    stranger = next(o["account"] for o in all_orders(shop) if o["account"] != order["account"])
    messages, _ = ask(ActionRefundProgress(), "退款到哪了", "ask_refund_progress",
                      {"order_id": order["order_id"]}, account=stranger)
    assert responses(messages) == ["utter_order_not_found"]
    assert f"{order['refund']['amount']:.2f}" not in everything_sent(messages)


