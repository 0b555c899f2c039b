"""Prices under the live promotions, and 价保 (price protection) on the buyer's own orders."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from actions.prices import ActionPrice, ActionPriceProtection, quantity_in
from tests.shop_action_helpers import (assert_hands_off, assert_no_handoff, ask, pick_order, render,
                                       responses, set_product, shop_at, slot_sets)


def product_of(shop, category):
    return next(p for p in shop.store.products() if p.category == category and p.stock > 0)


def test_a_price_question_gives_the_price_and_the_shops_live_offers(shop):
    product = product_of(shop, "果干")
    messages, events = ask(ActionPrice(), f"{product.name}多少钱一袋啊", "ask_price", {"product": product.name})
    assert responses(messages) == ["utter_price"]
    text = render(messages[0])
    assert f"¥{product.price:g}" in text and product.specs in text
    for offer in shop.policy.promotions + shop.policy.coupons:
        if "坚果" not in offer:  # the nut offer does not apply to dried fruit
            assert offer in text
    assert "坚果系列第二件半价" not in text
    assert slot_sets(events) == {"product": product.name}


def test_a_quantity_of_nuts_is_priced_with_second_item_half_price_and_the_coupon(shop):
    nuts = product_of(shop, "坚果")
    messages, _ = ask(ActionPrice(), f"亲，{nuts.name}买两袋一共多少钱？", "ask_price", {"product": nuts.name})
    assert responses(messages) == ["utter_price_total"]
    after_half = round(2 * nuts.price - nuts.price * 0.5, 2)
    expected = after_half - (10 if after_half >= 99 else 0) - (30 if after_half >= 199 else 0)
    assert float(messages[0]["pay"]) == round(expected, 2)
    assert float(messages[0]["list_total"]) == round(2 * nuts.price, 2)
    assert "坚果系列第二件半价" in messages[0]["savings"]
    assert "以结算页为准" in render(messages[0])


def test_a_total_that_reaches_a_threshold_gets_the_reduction_and_one_below_is_told_how_much_more(shop):
    product = product_of(shop, "果干")
    enough = int(199 // product.price) + 1
    reached, _ = ask(ActionPrice(), f"买{enough}袋多少钱", "ask_price", {"product": product.name})
    assert "满199减30" in reached[0]["savings"]
    assert float(reached[0]["pay"]) == round(enough * product.price - 30 - 10, 2)
    single, _ = ask(ActionPrice(), "多少钱", "ask_price", {"product": product.name})
    assert "再凑¥" in render(single[0])
    # How much more reaches 满199减30 counts what the coupon takes off afterwards too.
    two = 199 // product.price
    short, _ = ask(ActionPrice(), f"买{int(two)}袋多少钱", "ask_price", {"product": product.name})
    assert f"再凑¥{round(199 - two * product.price, 2):g}" in render(short[0])


def test_this_one_is_the_product_the_chat_is_about(shop):
    product = product_of(shop, "肉类零食")
    messages, _ = ask(ActionPrice(), "这个多少钱", "ask_price", slots={"product": product.name})
    assert messages[0]["product"] == product.name


def test_without_a_product_the_bot_asks_which_and_names_the_offers(shop):
    messages, events = ask(ActionPrice(), "这个多少钱", "ask_price")
    assert responses(messages) == ["utter_ask_price"]
    assert shop.policy.promotions[0] in render(messages[0])
    assert events == []


def test_two_different_prices_are_explained(shop):
    product = product_of(shop, "果干")
    messages, _ = ask(ActionPrice(), "为啥页面上和下单的价格不一样", "ask_price", {"product": product.name})
    assert "结算时才扣减" in render(messages[0])


def test_quantities_as_buyers_write_them():
    assert [quantity_in(t) for t in ("两袋", "买3包", "来四盒吧", "多少钱一斤", "俩罐", "这个多少钱", "30包装的多少钱")] == [
        2, 3, 4, 1, 2, 1, 1]


# -- price protection -----------------------------------------------------------
def paid_order(shop):
    return pick_order(shop, lambda o: o["status"] == "paid" and o["paid_at"])


def test_a_price_drop_within_the_days_is_computed_on_the_buyers_own_order_and_handed_to_a_person(shop):
    order = paid_order(shop)
    item = order["items"][0]
    set_product(shop, item["name"], price=round(item["price"] - 5, 2))
    messages, events = ask(ActionPriceProtection(), "昨天刚买今天就降价了，能补差价吗", "price_protection",
                           account=order["account"])
    assert responses(messages) == ["utter_price_protection_due"]
    assert float(messages[0]["difference"]) == round(5 * item["qty"], 2)
    assert order["order_id"] in render(messages[0])
    assert_hands_off(events, "price_protection", "normal")


def test_no_drop_is_said_plainly_with_both_prices(shop):
    order = paid_order(shop)
    item = order["items"][0]
    for other in order["items"]:
        set_product(shop, other["name"], price=other["price"])
    messages, events = ask(ActionPriceProtection(), "降价了吗 能价保吗", "price_protection",
                           {"product": item["name"]}, account=order["account"])
    assert responses(messages) == ["utter_price_protection_no_drop"]
    assert f"¥{item['price']:g}" in render(messages[0])
    assert_no_handoff(events)


def test_after_the_protection_days_the_buyer_is_told_why_politely(shop):
    order = paid_order(shop)
    item = order["items"][0]
    set_product(shop, item["name"], price=round(item["price"] - 5, 2))
    days = shop.policy.price_protection["days"]
    later = datetime.fromisoformat(order["paid_at"]) + timedelta(days=days + 3)
    shop_at(shop, later.isoformat())
    messages, events = ask(ActionPriceProtection(), "之前买的降价了给我补差价", "price_protection",
                           {"product": item["name"]}, account=order["account"])
    assert responses(messages) == ["utter_price_protection_expired"]
    assert f"{days}天" in render(messages[0]) and "抱歉" in render(messages[0])
    assert_no_handoff(events)


def test_another_buyers_order_is_never_read_and_an_anonymous_buyer_gets_the_rules(shop):
    order = paid_order(shop)
    set_product(shop, order["items"][0]["name"], price=round(order["items"][0]["price"] - 5, 2))
    messages, events = ask(ActionPriceProtection(), f"订单{order['order_id']}降价了能补差价吗", "price_protection",
                           {"order_id": order["order_id"]})
    assert responses(messages) == ["utter_price_protection_rules"]
    assert order["order_id"] not in render(messages[0])
    assert f"{shop.policy.price_protection['days']}天" in render(messages[0])


# -- a short name of several products ---------------------------------------------
def test_a_short_name_of_several_products_is_asked_with_buttons_and_the_choice_is_answered(shop):
    from actions.presale import ActionStock
    from actions.session import ActionContinue

    group = "比利时黑巧克力|德国牛奶巧克力"
    messages, events = ask(ActionStock(), "巧克力有货吗", "ask_stock", {"product_group": group},
                           slots={"product": "芒果干"})  # an earlier product is not what is asked now
    assert responses(messages) == ["utter_which_product"]
    assert [b["payload"] for b in messages[0]["buttons"]] == group.split("|")
    assert slot_sets(events) == {"awaiting": "stock"}

    chosen, events = ask(ActionContinue(), "比利时黑巧克力", "inform", {"product": "比利时黑巧克力"},
                         slots={"awaiting": "stock"})
    assert responses(chosen)[0].startswith("utter_stock")
    assert chosen[0]["product"] == "比利时黑巧克力"
    assert slot_sets(events) == {"product": "比利时黑巧克力", "awaiting": None}


def test_a_price_asked_of_a_category_lists_its_products_to_choose(shop):
    nuts = "|".join(p.name for p in shop.store.products() if p.category == "坚果")
    messages, events = ask(ActionPrice(), "坚果怎么卖", "ask_price", {"product_group": nuts})
    assert responses(messages) == ["utter_which_product"]
    assert len(messages[0]["buttons"]) == 6
    assert slot_sets(events) == {"awaiting": "price"}


# -- the product on the page -----------------------------------------------------------
def test_this_one_on_a_product_page_is_that_product(shop):
    from actions.presale import ActionStock

    product = shop.store.product_by_sku("SN001")
    priced, _ = ask(ActionPrice(), "这款多少钱", "ask_price", page_sku="SN001")
    assert priced[0]["product"] == product.name
    stocked, _ = ask(ActionStock(), "这款有货吗", "ask_stock", page_sku="SN001")
    assert responses(stocked)[0].startswith("utter_stock_") and stocked[0]["product"] == product.name


def test_a_product_named_in_the_line_wins_over_the_page_and_an_unknown_page_is_ignored(shop):
    named, _ = ask(ActionPrice(), "夏威夷果多少钱", "ask_price", {"product": "夏威夷果"}, page_sku="SN001")
    assert named[0]["product"] == "夏威夷果"
    unknown, _ = ask(ActionPrice(), "这款多少钱", "ask_price", page_sku="NOPE-1")
    assert responses(unknown) == ["utter_ask_price"]


def test_a_sold_out_product_is_priced_with_its_restock_date(shop):
    product = next(p for p in shop.store.products() if p.stock == 0 and p.restock_date)
    messages, _ = ask(ActionPrice(), "多少钱", "ask_price", {"product": product.name})
    assert "暂时卖完了" in render(messages[0]) and product.restock_date.strftime("%m月%d日") in render(messages[0])


# -- goods the shop does not sell ----------------------------------------------------
def test_goods_the_shop_does_not_sell_are_said_to_be_not_sold_whatever_the_question(shop):
    from actions.presale import ActionProductInfo, ActionShelfLife, ActionStock

    for action, text, intent in ((ActionStock(), "小龙虾有货吗", "ask_stock"),
                                 (ActionPrice(), "亲，你们店里有卖辣条吗？多少钱", "ask_price"),
                                 (ActionShelfLife(), "奶茶保质期多久", "ask_shelf_life"),
                                 (ActionProductInfo(), "你家的红薯干甜不甜", "ask_product_info")):
        # Neither the chat's earlier product nor the page's is taken for goods named now.
        messages, events = ask(action, text, intent, slots={"product": "芒果干"}, page_sku="SN001")
        assert responses(messages) == ["utter_product_not_sold"], text
        reply = render(messages[0])
        assert messages[0]["goods"] in text and "没有卖" in reply and "坚果" in reply
        assert slot_sets(events) == {"product": None}


def test_a_question_about_this_one_or_in_our_words_is_not_taken_for_other_goods(shop):
    from actions.presale import ActionStock

    # A place is not goods: 西藏有货吗 is about sending there.
    place, _ = ask(ActionStock(), "西藏有货吗", "ask_stock", {"region": "西藏"}, page_sku="SN001")
    assert responses(place) != ["utter_product_not_sold"]
    # The price of the page's product said another way.
    landed, _ = ask(ActionPrice(), "到手多少钱", "ask_price", page_sku="SN001")
    assert landed[0]["product"] == shop.store.product_by_sku("SN001").name

    on_page, _ = ask(ActionStock(), "这款还有货吗", "ask_stock", page_sku="SN001")
    assert on_page[0]["product"] == shop.store.product_by_sku("SN001").name
    # "芒果干片" is not an alias, but holds one of ours: ask which, never deny it.
    ours, _ = ask(ActionStock(), "芒果干片有货吗", "ask_stock")
    assert responses(ours) == ["utter_ask_stock"]


# -- several products in one question ------------------------------------------------------
def priced_together(text, *names):
    from tests.actions_support import run, tracker, user

    entities = [{"entity": "product", "value": name, "start": text.index(name), "end": text.index(name) + len(name)}
                for name in names]
    return run(ActionPrice(), tracker([user(text, "ask_price", entities)], {}))


def test_two_products_in_one_question_are_priced_each_and_together_with_the_order_offers(shop):
    mango, nuts = shop.store.product("芒果干"), shop.store.product("夏威夷果")
    messages, events = priced_together("三袋芒果干和夏威夷果要4袋，一共多少钱", "芒果干", "夏威夷果")
    assert responses(messages) == ["utter_price_together"]
    reply = render(messages[0])
    assert f"芒果干3件¥{3 * mango.price:g}" in reply and f"夏威夷果4件¥{4 * nuts.price:g}" in reply
    # The nuts' second item at half price first, then the order's 满减 and coupon on the rest.
    after_items = 3 * mango.price + 4 * nuts.price - 2 * nuts.price * 0.5
    assert after_items >= 199, "precondition: the basket reaches 满199减30 and the 99 coupon"
    assert float(messages[0]["pay"]) == round(after_items - 30 - 10, 2)
    assert "坚果系列第二件半价" in messages[0]["savings"]
    assert slot_sets(events) == {"product": "夏威夷果"}


@pytest.mark.parametrize("text, counts", [
    ("芒果干要两袋，夏威夷果一袋，再来4包草莓干", [2, 1, 4]),
    ("芒果干两袋夏威夷果三袋草莓干", [2, 3, 1]),
    ("两袋芒果干和三袋夏威夷果和草莓干", [2, 3, 1]),
    ("芒果干、夏威夷果、草莓干各两袋", [2, 2, 2]),
    ("芒果干x2 夏威夷果*3 草莓干", [2, 3, 1]),
    ("芒果干夏威夷果草莓干多少钱", [1, 1, 1]),
])
def test_a_count_is_read_beside_its_own_product_and_never_for_two(text, counts):
    from actions.prices import quantities

    named = [(name, text.index(name), text.index(name) + len(name)) for name in ("芒果干", "夏威夷果", "草莓干")]
    assert quantities(text, named) == counts


def test_a_sold_out_product_in_a_basket_is_named_with_its_restock_and_left_out_of_the_total(shop):
    sold_out = next(p for p in shop.store.products() if p.stock == 0 and p.restock_date)
    mango = shop.store.product("芒果干")
    messages, _ = priced_together(f"{sold_out.name}和芒果干一共多少钱", sold_out.name, "芒果干")
    reply = render(messages[0])
    assert float(messages[0]["list_total"]) == mango.price
    assert f"{sold_out.name}暂时卖完了" in reply and sold_out.restock_date.strftime("%m月%d日") in reply


def test_a_short_name_beside_a_product_is_asked_before_pricing_the_two(shop):
    from tests.actions_support import run, tracker, user

    text = "芒果干和巧克力一共多少钱"
    entities = [{"entity": "product", "value": "芒果干", "start": 0, "end": 3},
                {"entity": "product_group", "value": "比利时黑巧克力|德国牛奶巧克力", "start": 4, "end": 7}]
    messages, events = run(ActionPrice(), tracker([user(text, "ask_price", entities)], {}))
    assert responses(messages) == ["utter_which_product"]
    assert slot_sets(events) == {"awaiting": "price"}
