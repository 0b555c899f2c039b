"""Who the buyer is, greeting, continuing a question, handing off to a person,
and the merchant's settings reaching the replies after a restart."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from actions.handoff import ActionHandoff
from actions.presale import ActionBargain
from actions.aftersale import ActionRefundProgress, ActionReturn
from actions.payment import ActionChangeOrder
from actions.presale import ActionStock
from actions.common import account_of
from actions.session import ActionContinue, ActionGreet
from actions.shipping import (ActionCourier, ActionFreeShipping, ActionLogistics, ActionShipTime,
                              ActionUrgeShipping)
from tests.actions_support import action, bot, run, tracker, user
from tests.shop_action_helpers import (ask, followups, hours_since, pick_order, render, responses,
                                       restart_with, shop_at, shop_dir_copy, slot_sets)


# -- the account comes from the channel only -------------------------------------------
def account_seen(text, metadata=None, slots=None):
    """The account the actions act for, after a message with this text and metadata."""
    return account_of(tracker([action("action_listen"), user(text, "greet", metadata=metadata)], slots or {}))


def test_account_is_taken_from_the_channel_metadata(shop):
    assert account_seen("你好", metadata={"account": "tb_lily"}) == "tb_lily"


def test_account_from_metadata_is_trimmed(shop):
    assert account_seen("你好", metadata={"account": "  tb_lily "}) == "tb_lily"


@pytest.mark.parametrize("text", ["我是tb_lily", "我的账号是tb_lily 帮我查订单", "account: tb_lily"])
def test_an_account_typed_in_the_message_is_never_the_account(shop, text):
    assert account_seen(text) is None


def test_metadata_wins_over_an_account_claimed_in_the_text(shop):
    assert account_seen("我是tb_lily", metadata={"account": "sunny_day"}) == "sunny_day"


def test_a_slot_named_account_is_not_a_way_in(shop):
    """Only the channel speaks for the buyer: a forced entity or a stale slot does not."""
    assert account_seen("查一下我的订单", slots={"account": "tb_lily"}) is None


@pytest.mark.parametrize("metadata", [{}, {"account": ""}, {"account": "   "}, {"account": 12345},
                                      {"user": "tb_lily"}, ["tb_lily"]])
def test_missing_or_unusable_metadata_leaves_no_account(shop, metadata):
    assert account_seen("你好", metadata=metadata) is None


def test_an_order_question_without_an_account_asks_the_buyer_to_log_in(shop):
    messages, _ = ask(ActionLogistics(), "我的快递到哪了", "ask_logistics")
    assert responses(messages) == ["utter_need_account"]


# -- greeting and continuing ------------------------------------------------------------
def test_greeting_names_the_shop_the_agent_and_the_first_promotion(shop):
    messages, events = ask(ActionGreet(), "你好", "greet")
    assert responses(messages) == ["utter_greet_shop"]
    text = render(messages[0])
    assert shop.policy.shop_name in text
    assert f"客服{shop.policy.agent_nickname}" in text
    assert shop.policy.promotions[0] in text
    assert events == []


PENDING = {
    "urge_shipping": ActionUrgeShipping, "logistics": ActionLogistics, "change_order": ActionChangeOrder,
    "return": ActionReturn, "return_reason": ActionReturn, "refund": ActionRefundProgress,
}


def same_answer(shop, continued, direct):
    """Both runs give the buyer the same replies and set the same slots."""
    assert continued[0] == direct[0]
    assert slot_sets(continued[1]) == slot_sets(direct[1])


@pytest.mark.parametrize("awaiting", sorted(PENDING))
def test_a_bare_order_number_continues_the_question_the_bot_asked(shop, awaiting):
    order = pick_order(shop, lambda o: True)
    entities = {"order_id": order["order_id"]}
    slots = {"awaiting": awaiting, "account": order["account"]}
    continued = ask(ActionContinue(), order["order_id"], "inform", entities, slots=slots)
    direct = ask(PENDING[awaiting](), order["order_id"], "inform", entities, slots=slots)
    assert continued[0], "the buyer must get an answer, not silence"
    same_answer(shop, continued, direct)
    assert followups(continued[1]) == followups(direct[1])  # only a handoff may follow


def test_a_bare_region_answers_postage_there(shop):
    continued = ask(ActionContinue(), "新疆", "inform", {"region": "新疆"})
    assert responses(continued[0]) == ["utter_free_shipping_fee"]
    same_answer(shop, continued, ask(ActionFreeShipping(), "新疆", "inform", {"region": "新疆"}))


def test_a_bare_product_answers_its_stock(shop):
    continued = ask(ActionContinue(), "芒果干", "inform", {"product": "芒果干"})
    same_answer(shop, continued, ask(ActionStock(), "芒果干", "inform", {"product": "芒果干"}))


def test_a_bare_courier_or_order_number_with_nothing_asked_gets_its_answer(shop):
    courier, _ = ask(ActionContinue(), "顺丰", "inform", {"courier": "顺丰"})
    assert responses(courier)[0].startswith("utter_courier_")
    order = pick_order(shop, lambda o: o["status"] == "shipped")
    tracked, _ = ask(ActionContinue(), order["order_id"], "inform", {"order_id": order["order_id"]},
                     account=order["account"])
    assert responses(tracked)[0].startswith("utter_logistics_") and order["order_id"] in render(tracked[0])


def test_a_pending_question_wins_over_a_bare_region(shop):
    order = pick_order(shop, lambda o: o["status"] in ("delivered", "completed"))
    slots = {"awaiting": "return", "account": order["account"]}
    continued = ask(ActionContinue(), "新疆", "inform", {"region": "新疆"}, slots=slots)
    assert "utter_free_shipping_fee" not in responses(continued[0])
    same_answer(shop, continued, ask(ActionReturn(), "新疆", "inform", {"region": "新疆"}, slots=slots))


def test_a_bare_answer_with_nothing_pending_is_acknowledged(shop):
    messages, events = ask(ActionContinue(), "好的", "inform")
    assert responses(messages) == ["utter_inform"]
    assert events == []


# -- handoff ---------------------------------------------------------------------------
def handoff_payload(messages):
    payloads = [m["custom"]["handoff"] for m in messages if (m.get("custom") or {}).get("handoff")]
    assert len(payloads) == 1
    return payloads[0]


def conversation(*turns, account=None):
    """turns: (text, intent) pairs, with a bot answer between them; `account` from the channel."""
    events = [action("action_listen")]
    for text, intent in turns:
        events += [user(text, intent, metadata={"account": account} if account else None), action("action_listen")]
    return events[:-1]


def test_handoff_pauses_the_conversation_and_clears_its_reason(shop):
    t = tracker(conversation(("转人工", "request_human"), account="tb_lily"))
    _, events = run(ActionHandoff(), t)
    assert {"event": "pause", "timestamp": None} in events
    assert events[-1]["event"] == "pause"
    assert slot_sets(events) == {"handoff_reason": None, "handoff_priority": None}


def test_handoff_payload_summarises_intents_account_and_the_facts_in_play(shop):
    order = pick_order(shop, lambda o: o["status"] == "shipped")
    events = conversation(("你好", "greet"), ("我的快递到哪了", "ask_logistics"),
                          ("怎么还不到", "urge_shipping"), ("我要投诉", "complain"), account=order["account"])
    events.insert(2, bot("utter_greet_shop"))
    t = tracker(events, {"order_id": order["order_id"], "product": order["items"][0]["name"]})
    messages, _ = run(ActionHandoff(), t)
    payload = handoff_payload(messages)
    assert set(payload) == {"reason", "priority", "summary"}
    summary = payload["summary"]
    assert summary["intents"] == ["greet", "ask_logistics", "urge_shipping", "complain"]
    assert summary["account"] == order["account"]
    assert summary["last_message"] == "我要投诉"
    assert summary["entities"] == {"order_id": order["order_id"], "product": order["items"][0]["name"]}


def test_complaint_is_handed_off_with_high_priority_and_an_apology(shop):
    t = tracker(conversation(("你们太差了 我要投诉", "complain")))
    messages, _ = run(ActionHandoff(), t)
    assert responses(messages)[0] == "utter_complain"
    payload = handoff_payload(messages)
    assert (payload["reason"], payload["priority"]) == ("complaint", "high")


def test_asking_for_a_person_is_handed_off_with_normal_priority(shop):
    t = tracker(conversation(("转人工", "request_human")))
    messages, _ = run(ActionHandoff(), t)
    assert responses(messages)[0] == "utter_request_human"
    payload = handoff_payload(messages)
    assert (payload["reason"], payload["priority"]) == ("buyer_request", "normal")


def test_handoff_decided_by_another_action_carries_its_reason_and_priority(shop):
    order = pick_order(shop, lambda o: o["status"] == "paid"
                       and hours_since(shop, o["paid_at"]) > shop.policy.promise_hours)
    urge_messages, urge_events = ask(ActionUrgeShipping(), "还不发货", "urge_shipping",
                                     {"order_id": order["order_id"]}, account=order["account"])
    assert followups(urge_events) == ["action_handoff"]
    slots = dict(slot_sets(urge_events), account=order["account"])
    t = tracker(conversation(("还不发货", "urge_shipping")), slots)
    messages, events = run(ActionHandoff(), t)
    payload = handoff_payload(messages)
    assert (payload["reason"], payload["priority"]) == ("shipping_overdue", "high")
    assert payload["summary"]["entities"]["order_id"] == order["order_id"]
    assert "utter_complain" not in responses(messages)
    assert events[-1]["event"] == "pause"


def test_handoff_for_an_unclear_reason_is_low_priority(shop):
    t = tracker(conversation(("asdf", "nlu_fallback")))
    messages, _ = run(ActionHandoff(), t)
    payload = handoff_payload(messages)
    assert (payload["reason"], payload["priority"]) == ("bot_unsure", "low")


def agent_hours(shop):
    return shop.policy.settings["agent_hours"]


def test_during_agent_hours_no_offline_notice_is_sent(shop):
    hours = agent_hours(shop)
    assert hours["start"] <= shop.now().strftime("%H:%M") < hours["end"]
    messages, _ = run(ActionHandoff(), tracker(conversation(("转人工", "request_human"))))
    assert "utter_agents_offline" not in responses(messages)


@pytest.mark.parametrize("when", ["end", "before_start"])
def test_at_night_the_buyer_hears_the_agent_hours_from_settings(shop, when):
    hours = agent_hours(shop)
    day = shop.now().strftime("%Y-%m-%d")
    if when == "end":
        moment = f"{day}T{hours['end']}:00+08:00"
    else:
        start = datetime.fromisoformat(f"{day}T{hours['start']}:00+08:00")
        moment = (start - timedelta(minutes=1)).isoformat()
    shop_at(shop, moment)
    messages, events = run(ActionHandoff(), tracker(conversation(("转人工", "request_human"))))
    assert "utter_agents_offline" in responses(messages)
    offline = messages[responses(messages).index("utter_agents_offline")]
    assert f"{hours['days']} {hours['start']}-{hours['end']}" in render(offline)
    assert handoff_payload(messages)["reason"] == "buyer_request"
    assert events[-1]["event"] == "pause"


# -- the merchant edits settings.yml and restarts the action server -------------------------
def test_edited_settings_reach_greeting_courier_ship_time_and_bargaining(shop, tmp_path):
    now = shop.now()
    before_now = (now - timedelta(hours=1)).strftime("%H:%M")
    assert shop.policy.ship_time(now).today  # sample "now" is before the shipped cut-off
    new_default = next(c for c in shop.policy.free_couriers if c != shop.policy.default_courier)

    def edit(settings):
        settings["shop"]["name"] = "鲜果时光测试店"
        settings["couriers"]["default"] = new_default
        settings["dispatch"]["cutoff"] = before_now
        settings["promotions"] = ["年货节:全店满299减50"] + settings["promotions"]

    restarted = restart_with(shop, shop_dir_copy(tmp_path, edit))
    assert restarted.policy.shop_name == "鲜果时光测试店"

    greeting = render(ask(ActionGreet(), "你好", "greet")[0][0])
    assert "欢迎光临鲜果时光测试店" in greeting
    assert "年货节:全店满299减50" in greeting

    courier = render(ask(ActionCourier(), "发什么快递", "ask_courier")[0][0])
    assert f"默认发{new_default}" in courier

    ship = ask(ActionShipTime(), "今天能发吗", "ask_ship_time")[0][0]
    assert ship["response"] == "utter_ship_time_later"
    assert f"每天{before_now}前付款" in render(ship)

    member = render(ask(ActionBargain(), "便宜点", "bargain", slots={"bargain_stage": 1.0})[0][0])
    assert "年货节:全店满299减50" in member
    coupons = render(ask(ActionBargain(), "有优惠券吗", "bargain")[0][0])
    assert "年货节:全店满299减50" in coupons


def test_edited_agent_hours_change_when_agents_count_as_offline(shop, tmp_path):
    def edit(settings):
        settings["agent_hours"]["end"] = "11:00"

    restart_with(shop, shop_dir_copy(tmp_path, edit))
    messages, _ = run(ActionHandoff(), tracker(conversation(("转人工", "request_human"))))
    offline = [m for m in messages if m.get("response") == "utter_agents_offline"]
    assert len(offline) == 1
    assert "-11:00" in render(offline[0])
