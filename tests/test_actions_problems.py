"""Problems with received goods become cases for the right order; returns, exchanges and
refunds answered from the order: the actions with the sample shop, as the desk receives them."""
from __future__ import annotations

import pytest

from actions.aftersale import ActionRefundProgress, ActionReturn
from actions.problems import ActionReportProblem
from actions.session import ActionContinue
from tests.shop_action_helpers import (all_orders, ask, assert_hands_off, assert_no_handoff, everything_sent,
                                       instructions, render, responses, shown, slot_sets)

LILY = "tb_lily"


def lily_order(shop, status, holding):
    return next(o for o in shop.store.orders_of(LILY)
                if o["status"] == status and holding in {i["name"] for i in o["items"]})


def problem(text, entities=None, slots=None, account=LILY, action=None):
    return ask(action or ActionReportProblem(), text, "report_problem", entities, slots, account=account)


def the_case(messages):
    [case] = instructions(messages, "case")
    return case


def test_a_damaged_item_opens_a_case_on_the_delivered_order_holding_it_and_asks_for_photos(shop):
    order = lily_order(shop, "delivered", "麻辣牛肉干")
    messages, events = problem("收到的麻辣牛肉干袋子破了", {"problem_type": "damaged", "product": "麻辣牛肉干"})
    case = the_case(messages)
    assert case["order_id"] == order["order_id"] and case["problem"] == "damaged"
    assert [i["name"] for i in case["items"]] == ["麻辣牛肉干"] and case["submit"] is False  # waits for a photo
    assert responses(messages) == ["utter_case_damaged", "utter_case_proposal"]
    said = render(shown(messages)[0])
    assert "「图片」按钮" in said and "24小时" in said and order["order_id"] in said
    # Over the small amount, a few days after delivery: the policy's proposal, put to an agent.
    item = order["items"][0]
    assert item["price"] * item["qty"] > 50 and case["proposal"] == "部分退款"
    assert "客服确认后" in render(shown(messages)[1])
    assert_no_handoff(events)


def test_a_damaged_item_of_an_order_not_yet_shipped_opens_no_case(shop):
    order = lily_order(shop, "paid", "夏威夷果")
    messages, _ = problem("夏威夷果碎了", {"problem_type": "damaged", "product": "夏威夷果"})
    assert instructions(messages, "case") == []
    assert responses(messages) == ["utter_problem_not_shipped"]
    assert order["order_id"] in render(shown(messages)[0]) and "仅退款" in render(shown(messages)[0])


def test_a_missing_item_without_a_product_asks_which_received_order_then_submits(shop):
    received = [o for o in shop.store.orders_of(LILY) if o["status"] in ("delivered", "completed")]
    messages, events = problem("少发了一包", {"problem_type": "missing_item"})
    assert responses(messages) == ["utter_ask_which_order"]
    assert {b["payload"] for b in shown(messages)[0]["buttons"]} <= {o["order_id"] for o in received}
    unshipped = {o["order_id"] for o in shop.store.orders_of(LILY) if o["status"] in ("paid", "shipped", "unpaid")}
    assert not unshipped & {b["payload"] for b in shown(messages)[0]["buttons"]}
    slots = slot_sets(events)
    assert slots["awaiting"] == "problem" and slots["problem_type"] == "missing_item"

    chosen = shown(messages)[0]["buttons"][0]["payload"]
    messages, events = ask(ActionContinue(), chosen, "inform", {"order_id": chosen}, slots=slots, account=LILY)
    case = the_case(messages)
    assert (case["order_id"], case["problem"], case["submit"]) == (chosen, "missing", True)
    assert responses(messages)[0] == "utter_case_missing_item"
    assert slot_sets(events)["awaiting"] is None


@pytest.mark.parametrize("problem_type,reply", [("wrong_item", "utter_case_wrong_item"),
                                                ("quality", "utter_case_quality")])
def test_a_wrong_item_or_a_quality_problem_asks_for_photos_of_it(shop, problem_type, reply):
    messages, events = problem("牛肉干有问题", {"problem_type": problem_type, "product": "麻辣牛肉干"})
    case = the_case(messages)
    assert case["problem"] == problem_type and case["submit"] is False
    assert responses(messages)[0] == reply and "「图片」按钮" in render(shown(messages)[0])
    assert_no_handoff(events)


def test_a_smell_is_a_quality_problem_not_a_delivery_question(shop):
    messages, _ = problem("牛肉干有哈喇味", {"problem_type": "quality", "product": "麻辣牛肉干"})
    assert the_case(messages)["problem"] == "quality"
    assert "请先别再食用" in render(shown(messages)[0])


def test_expired_food_is_an_urgent_case_with_a_person_at_once(shop):
    messages, events = problem("牛肉干过期了", {"problem_type": "expired", "product": "麻辣牛肉干"})
    case = the_case(messages)
    assert case["urgent"] is True and case["submit"] is True and case["problem"] == "expired"
    assert responses(messages)[0] == "utter_case_urgent" and "请先不要食用" in render(shown(messages)[0])
    assert_hands_off(events, "expired_goods", "high")


def test_a_problem_without_its_kind_asks_which_kind_with_buttons(shop):
    order = lily_order(shop, "delivered", "麻辣牛肉干")
    messages, events = problem("这个订单的东西有问题", {"order_id": order["order_id"]})
    assert instructions(messages, "case") == []
    assert responses(messages) == ["utter_ask_problem_type"]
    assert {b["payload"] for b in shown(messages)[0]["buttons"]} >= {"破损", "少发", "发错"}
    assert slot_sets(events)["awaiting"] == "problem"


def test_another_buyers_order_gets_no_case_and_reveals_nothing(shop):
    order = next(o for o in all_orders(shop) if o["account"] != LILY and o["status"] == "delivered")
    messages, _ = problem("碎了", {"problem_type": "damaged", "order_id": order["order_id"]})
    assert instructions(messages, "case") == []
    assert responses(messages) == ["utter_order_not_found"]
    assert order["receiver"]["address"] not in everything_sent(messages)


def test_an_anonymous_buyer_is_asked_to_log_in_before_any_case(shop):
    messages, _ = problem("碎了", {"problem_type": "damaged"}, account=None)
    assert responses(messages) == ["utter_need_account"] and instructions(messages, "case") == []


def test_signed_but_not_received_checks_the_logistics_first_then_opens_a_case(shop):
    messages, events = problem("物流显示签收了但我没收到")
    assert responses(messages) == ["utter_not_received_check"] and instructions(messages, "case") == []
    said = render(shown(messages)[0])
    slots = slot_sets(events)
    order = next(o for o in shop.store.orders_of(LILY) if o["order_id"] == slots["not_received_order"])
    assert order["status"] == "delivered" and "快递柜" in said and order["logistics"][-1]["event"] in said

    messages, events = ask(ActionContinue(), "找过了,还是没收到", "inform", slots=slots, account=LILY)
    case = the_case(messages)
    assert (case["order_id"], case["problem"], case["submit"]) == (order["order_id"], "not_received", True)
    assert responses(messages) == ["utter_not_received_case"]
    assert slot_sets(events)["not_received_order"] is None


# -- returns, exchanges, refunds ---------------------------------------------------------
def test_a_paid_order_not_yet_shipped_can_be_refunded_now_on_the_order_page(shop):
    order = lily_order(shop, "paid", "夏威夷果")
    messages, _ = ask(ActionReturn(), "夏威夷果不想要了 能退款吗", "request_return", {"product": "夏威夷果"},
                      account=LILY)
    assert responses(messages) == ["utter_refund_before_shipping"]
    said = render(shown(messages)[0])
    assert order["order_id"] in said and "仅退款" in said and "24小时" in said and "收到后" not in said


def test_an_exchange_is_a_case_and_says_who_pays_the_postage(shop):
    order = lily_order(shop, "delivered", "麻辣牛肉干")
    messages, _ = ask(ActionReturn(), "想换货 换成原味的", "request_return", {"order_id": order["order_id"]},
                      account=LILY)
    case = the_case(messages)
    assert (case["problem"], case["proposal"]) == ("exchange", "换货")
    assert responses(messages) == ["utter_exchange_no_reason"]
    assert "运费险" in render(shown(messages)[0])  # this order was bought with it

    messages, _ = ask(ActionReturn(), "发霉了 想换货", "request_return",
                      {"order_id": order["order_id"], "problem_type": "quality"}, account=LILY)
    assert responses(messages) == ["utter_exchange_quality"] and "由我们承担" in render(shown(messages)[0])


def test_return_postage_follows_the_reason_and_the_orders_freight_insurance(shop):
    insured = lily_order(shop, "delivered", "麻辣牛肉干")
    assert insured["freight_insurance"]
    messages, _ = ask(ActionReturn(), "不喜欢 退货运费谁出", "request_return", {"order_id": insured["order_id"]},
                      account=LILY)
    assert responses(messages) == ["utter_return_no_reason_insured"] and "运费险理赔" in render(shown(messages)[0])
    messages, _ = ask(ActionReturn(), "质量问题 退货运费谁出", "request_return",
                      {"order_id": insured["order_id"], "problem_type": "quality"}, account=LILY)
    assert responses(messages) == ["utter_return_quality"] and "运费都由我们承担" in render(shown(messages)[0])


@pytest.mark.parametrize("line,courier", [("退货单号SF1312345678901", "顺丰"),
                                          ("寄回去了 中通 78512345678901", "中通")])
def test_a_return_tracking_number_of_the_right_shape_is_kept_for_the_case(shop, line, courier):
    entities = {"courier": courier} if "中通" in line else {}
    messages, _ = ask(ActionReturn(), line, "request_return", entities, account=LILY)
    [parcel] = instructions(messages, "return_parcel")
    assert parcel["courier"] == courier and parcel["tracking"] in line
    assert responses(messages) == []  # the desk says which case it joined (or that there is none)


def test_a_tracking_number_of_the_wrong_shape_is_asked_again_not_kept(shop):
    messages, _ = ask(ActionRefundProgress(), "退货单号SF13123456", "ask_refund_progress", account=LILY)
    assert instructions(messages, "return_parcel") == []
    assert responses(messages) == ["utter_return_tracking_check"] and "SF13123456" in render(shown(messages)[0])


def test_my_aftersales_progress_is_the_desks_to_tell(shop):
    messages, _ = ask(ActionRefundProgress(), "我的售后进度", "ask_refund_progress", account=LILY)
    assert instructions(messages, "case_progress") == [{"say_none": True}] and responses(messages) == []
