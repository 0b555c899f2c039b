"""Before buying: stock, shelf life, product facts, recommendations, bargaining."""
from __future__ import annotations

import csv
import re
import shutil
from datetime import date, timedelta

import pytest

from actions.presale import (LOW_STOCK, ActionBargain, ActionHesitate, ActionProductInfo,
                             ActionRecommend, ActionShelfLife, ActionStock)
from shopbot.shop.service import Shop, reset_shop
from shopbot.shop.store import ShopStore
from tests.shop_action_helpers import (SHOP_DIR, ask, render, responses, set_product, shop_at,
                                       slot_sets)


def first_product(shop, wanted):
    product = next((p for p in shop.store.products() if wanted(p)), None)
    assert product is not None, "the sample catalog has no product of this kind"
    return product


def recommended(message):
    """[(name, price)] from the products value of utter_recommend."""
    return [(name, float(price))
            for name, price in re.findall(r"([^、(]+)\(¥([0-9.]+)\)", message["products"])]


# -- stock ----------------------------------------------------------------------
def test_stock_in_tells_the_buyer_how_many_are_left(shop):
    product = first_product(shop, lambda p: p.stock >= LOW_STOCK)
    messages, events = ask(ActionStock(), f"{product.name}有货吗", "ask_stock", {"product": product.name})
    assert responses(messages) == ["utter_stock_in"]
    assert messages[0]["stock"] == product.stock
    assert f"库存还有{product.stock}件" in render(messages[0])
    assert slot_sets(events) == {"product": product.name}


def test_stock_low_urges_the_buyer_with_the_exact_count(shop):
    product = first_product(shop, lambda p: 0 < p.stock < LOW_STOCK)
    messages, _ = ask(ActionStock(), f"{product.name}还有吗", "ask_stock", {"product": product.name})
    assert responses(messages) == ["utter_stock_low"]
    assert f"只剩最后{product.stock}件" in render(messages[0])


def test_stock_out_gives_restock_date_and_in_stock_alternatives_of_the_same_kind(shop):
    product = first_product(shop, lambda p: p.stock == 0 and p.restock_date)
    messages, events = ask(ActionStock(), f"{product.name}有货吗", "ask_stock", {"product": product.name})
    assert responses(messages) == ["utter_stock_out"]
    text = render(messages[0])
    assert f"预计{product.restock_date.month:02d}月{product.restock_date.day:02d}日补货" in text
    alternatives = messages[0]["alternatives"].split("、")
    assert 1 <= len(alternatives) <= 3
    for name in alternatives:
        alternative = shop.store.product(name)
        assert alternative.category == product.category
        assert alternative.stock > 0
        assert name != product.name
    assert slot_sets(events) == {"product": product.name}


def test_stock_out_never_offers_an_alternative_that_is_itself_sold_out(shop):
    product = first_product(shop, lambda p: p.stock == 0 and p.restock_date)
    first_alternative = ask(ActionStock(), "有货吗", "ask_stock",
                            {"product": product.name})[0][0]["alternatives"].split("、")[0]
    set_product(shop, first_alternative, stock=0)
    messages, _ = ask(ActionStock(), "有货吗", "ask_stock", {"product": product.name})
    assert first_alternative not in messages[0]["alternatives"].split("、")


def test_the_answer_follows_the_stock_in_the_database(shop):
    name = first_product(shop, lambda p: p.stock >= LOW_STOCK).name
    messages, _ = ask(ActionStock(), "有货吗", "ask_stock", {"product": name})
    assert responses(messages) == ["utter_stock_in"]

    set_product(shop, name, stock=LOW_STOCK - 1)
    messages, _ = ask(ActionStock(), "有货吗", "ask_stock", {"product": name})
    assert responses(messages) == ["utter_stock_low"]
    assert messages[0]["stock"] == LOW_STOCK - 1

    set_product(shop, name, stock=0, restock_date=None)
    messages, _ = ask(ActionStock(), "有货吗", "ask_stock", {"product": name})
    assert responses(messages) == ["utter_stock_out"]
    assert messages[0]["restock"] == "近期"


def test_an_edited_catalog_file_changes_the_stock_answer_without_retraining(shop, tmp_path):
    product = first_product(shop, lambda p: p.stock >= LOW_STOCK)
    edited = tmp_path / "shop"
    shutil.copytree(SHOP_DIR, edited)
    with (SHOP_DIR / "catalog.csv").open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        fields, rows = reader.fieldnames, list(reader)
    for row in rows:
        if row["name"] == product.name:
            row["stock"], row["restock_date"] = "0", "2026-12-01"
    with (edited / "catalog.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    store = ShopStore(f"sqlite:///{tmp_path / 'edited.db'}")
    assert store.sync_from_files(edited)
    reset_shop(Shop(shop.policy, store, shop.clock))

    messages, _ = ask(ActionStock(), "有货吗", "ask_stock", {"product": product.name})
    assert responses(messages) == ["utter_stock_out"]
    assert "预计12月01日补货" in render(messages[0])


def test_stock_question_uses_the_product_talked_about_earlier(shop):
    product = first_product(shop, lambda p: p.stock >= LOW_STOCK)
    messages, _ = ask(ActionStock(), "还有货吗", "ask_stock", slots={"product": product.name})
    assert responses(messages) == ["utter_stock_in"]
    assert messages[0]["product"] == product.name


def test_a_product_named_now_wins_over_the_one_talked_about_earlier(shop):
    earlier = first_product(shop, lambda p: p.stock >= LOW_STOCK)
    now = first_product(shop, lambda p: p.stock == 0)
    messages, events = ask(ActionStock(), f"{now.name}呢", "ask_stock", {"product": now.name},
                           slots={"product": earlier.name})
    assert responses(messages) == ["utter_stock_out"]
    assert slot_sets(events) == {"product": now.name}


def test_stock_question_without_a_product_asks_which_one(shop):
    messages, events = ask(ActionStock(), "有货吗", "ask_stock")
    assert responses(messages) == ["utter_ask_stock"]
    assert events == []


# -- shelf life and product facts -------------------------------------------------
def test_shelf_life_counts_the_days_left_from_the_shop_clock(shop):
    product = first_product(shop, lambda p: p.production_date and p.shelf_life_days)
    messages, events = ask(ActionShelfLife(), "保质期多久", "ask_shelf_life", {"product": product.name})
    expected_left = (product.production_date + timedelta(days=product.shelf_life_days)
                     - shop.now().date()).days
    assert expected_left > 0
    assert responses(messages) == ["utter_shelf_life"]
    assert messages[0]["days_left"] == expected_left
    assert messages[0]["shelf_life_days"] == product.shelf_life_days
    text = render(messages[0])
    assert product.production_date.strftime("%Y年%m月%d日") in text
    assert product.storage in text
    assert slot_sets(events) == {"product": product.name}


def test_shelf_life_days_left_shrink_as_days_pass(shop):
    product = first_product(shop, lambda p: p.production_date and p.shelf_life_days)
    today_left = ask(ActionShelfLife(), "保质期", "ask_shelf_life",
                     {"product": product.name})[0][0]["days_left"]
    shop_at(shop, (shop.now() + timedelta(days=10)).isoformat())
    later_left = ask(ActionShelfLife(), "保质期", "ask_shelf_life",
                     {"product": product.name})[0][0]["days_left"]
    assert later_left == today_left - 10


def test_shelf_life_of_a_batch_past_its_date_shows_zero_days_not_negative(shop):
    product = first_product(shop, lambda p: p.shelf_life_days)
    set_product(shop, product.name, production_date=date(2020, 1, 1))
    messages, _ = ask(ActionShelfLife(), "保质期", "ask_shelf_life", {"product": product.name})
    assert messages[0]["days_left"] == 0


def test_shelf_life_without_a_product_asks_which_one(shop):
    messages, _ = ask(ActionShelfLife(), "保质期多久", "ask_shelf_life")
    assert responses(messages) == ["utter_ask_shelf_life"]


def test_product_info_gives_the_catalog_facts_and_price(shop):
    product = first_product(shop, lambda p: p.specs and p.ingredients)
    messages, events = ask(ActionProductInfo(), "介绍一下", "ask_product_info", {"product": product.name})
    assert responses(messages) == ["utter_product_info"]
    text = render(messages[0])
    for fact in (product.specs, product.origin, product.ingredients, product.usage):
        assert fact in text
    assert f"¥{product.price:.2f}" in text
    assert slot_sets(events) == {"product": product.name}


def test_product_info_follows_a_price_change_in_the_database(shop):
    product = first_product(shop, lambda p: p.stock > 0)
    set_product(shop, product.name, price=product.price + 5)
    messages, _ = ask(ActionProductInfo(), "多少钱", "ask_product_info", {"product": product.name})
    assert messages[0]["price"] == f"{product.price + 5:.2f}"


def test_product_info_without_a_product_asks_which_one(shop):
    messages, _ = ask(ActionProductInfo(), "是正品吗", "ask_product_info")
    assert responses(messages) == ["utter_ask_product_info"]


# -- recommendations ------------------------------------------------------------
def test_recommendations_are_in_stock_with_their_catalog_price(shop):
    messages, events = ask(ActionRecommend(), "推荐一下", "ask_recommendation")
    assert responses(messages) == ["utter_recommend"]
    picks = recommended(messages[0])
    assert 1 <= len(picks) <= 3
    assert len({name for name, _ in picks}) == len(picks)
    for name, price in picks:
        product = shop.store.product(name)
        assert product.stock > 0
        assert price == pytest.approx(product.price)
    assert events == []


def test_a_product_that_sells_out_is_no_longer_recommended(shop):
    first = recommended(ask(ActionRecommend(), "推荐", "ask_recommendation")[0][0])[0][0]
    set_product(shop, first, stock=0)
    picks = [name for name, _ in recommended(ask(ActionRecommend(), "推荐", "ask_recommendation")[0][0])]
    assert first not in picks
    assert all(shop.store.product(name).stock > 0 for name in picks)


def test_recommendations_for_a_product_are_other_in_stock_products_of_its_kind(shop):
    product = first_product(shop, lambda p: p.stock == 0)
    messages, _ = ask(ActionRecommend(), "有类似的吗", "ask_recommendation", {"product": product.name})
    picks = [name for name, _ in recommended(messages[0])]
    assert picks
    for name in picks:
        other = shop.store.product(name)
        assert name != product.name
        assert other.category == product.category
        assert other.stock > 0


# -- bargaining -------------------------------------------------------------------
def bargain(stage=None, text="能便宜点吗", amount=None, product=None):
    entities = {}
    if amount is not None:
        entities["amount"] = amount
    if product is not None:
        entities["product"] = product
    slots = {"bargain_stage": stage} if stage is not None else {}
    return ask(ActionBargain(), text, "bargain", entities, slots)


def test_first_bargain_talks_about_value(shop):
    messages, events = bargain()
    assert responses(messages) == ["utter_bargain_value"]
    assert slot_sets(events)["bargain_stage"] == 1


def test_second_bargain_offers_member_benefit_and_current_promotions(shop):
    messages, events = bargain(stage=1.0)
    assert responses(messages) == ["utter_bargain_member"]
    text = render(messages[0])
    assert shop.policy.member_benefit in text
    for promotion in shop.policy.promotions:
        assert promotion in text
    assert slot_sets(events)["bargain_stage"] == 2


def test_third_bargain_concedes_the_gift_from_settings_not_a_price_cut(shop):
    messages, events = bargain(stage=2.0)
    assert responses(messages) == ["utter_bargain_concession"]
    assert shop.policy.bargain["concession"] in render(messages[0])
    assert slot_sets(events)["bargain_stage"] == 3


@pytest.mark.parametrize("stage", [3.0, 6.0])
def test_after_the_gift_every_further_bargain_gets_a_warm_final_no(shop, stage):
    messages, events = bargain(stage=stage)
    assert responses(messages) == ["utter_bargain_final"]
    assert slot_sets(events)["bargain_stage"] == int(stage) + 1


def test_an_offer_far_below_the_price_is_declined_as_unreasonable(shop):
    product = first_product(shop, lambda p: p.price > 10)
    floor = product.price * float(shop.policy.bargain["unreasonable_below"])
    messages, events = bargain(text="便宜点就拍", amount=f"{floor - 1:.2f}", product=product.name)
    assert responses(messages) == ["utter_bargain_unreasonable"]
    assert slot_sets(events) == {"bargain_stage": 1, "product": product.name}


def test_an_offer_close_to_the_price_climbs_the_ladder_instead(shop):
    product = first_product(shop, lambda p: p.price > 10)
    floor = product.price * float(shop.policy.bargain["unreasonable_below"])
    messages, _ = bargain(text="便宜点就拍", amount=f"{floor + 1:.2f}", product=product.name)
    assert responses(messages) == ["utter_bargain_value"]


def test_asking_about_coupons_lists_promotions_and_coupons_from_settings(shop):
    messages, events = bargain(stage=2.0, text="有优惠券吗")
    assert responses(messages) == ["utter_bargain_promotions"]
    text = render(messages[0])
    for offer in shop.policy.promotions + shop.policy.coupons:
        assert offer in text
    assert slot_sets(events)["bargain_stage"] == 3


def test_hesitating_buyer_hears_the_no_reason_return_days_for_unopened_goods(shop):
    messages, _ = ask(ActionHesitate(), "我再看看", "hesitate")
    assert responses(messages) == ["utter_hesitate"]
    # Opened food is not returned without a reason (settings.yml returns.opened_food): never promised.
    assert f"未拆封的宝贝,也支持{shop.policy.settings['returns']['no_reason_days']}天无理由" in render(messages[0])


def test_discount_questions_are_answered_with_the_live_offers_before_any_no(shop):
    """有优惠吗 / 买多能便宜吗 / 老顾客有优惠吗 name what the shop offers, not 'already a good price'."""
    offers = shop.policy.promotions + shop.policy.coupons
    for text, expected in (("有什么优惠吗", "utter_bargain_promotions"), ("能打折吗", "utter_bargain_promotions"),
                           ("买多点能便宜吗", "utter_bargain_multibuy"),
                           ("老顾客有优惠吗", "utter_bargain_member")):
        messages, _ = ask(ActionBargain(), text, "bargain")
        assert responses(messages) == [expected], text
        told = render(messages[0])
        assert any(offer in told for offer in offers), text
        assert "已经很实惠" not in told


def test_a_recommendation_for_a_need_gives_products_tagged_for_it(shop):
    """无糖 / 给孩子 / 送礼: the catalog's tags answer it; a sugared snack is never offered to a diabetic."""
    for text, tag in (("家里老人有糖尿病，推荐点无糖的零食", "低糖"), ("给小孩吃的推荐几个", "儿童"),
                      ("送客户的礼盒推荐一下", "送礼")):
        messages, _ = ask(ActionRecommend(), text, "ask_recommendation")
        assert responses(messages)[0] == "utter_recommend", text
        for name, _ in recommended(messages[0]):
            assert tag in shop.store.product(name).tags, (text, name)
    sugar, _ = ask(ActionRecommend(), "家里老人有糖尿病，推荐点无糖的零食", "ask_recommendation")
    assert responses(sugar) == ["utter_recommend", "utter_recommend_health"]
    assert "芒果干" not in render(sugar[0])


@pytest.mark.parametrize("text", ["我不能吃辣，推荐几个零食", "怕辣，有什么好吃的", "有没有不那么辣的推荐一下",
                                  "辣的不要，推荐点别的", "一点辣都不能吃", "不太能吃辣推荐一下"])
def test_a_buyer_who_avoids_spicy_food_is_never_recommended_a_spicy_one(shop, text):
    messages, _ = ask(ActionRecommend(), text, "ask_recommendation")
    assert responses(messages)[0] == "utter_recommend", text
    names = [name for name, _ in recommended(messages[0])]
    assert names and not any("辣" in shop.store.product(name).tags for name in names), (text, names)
    wanted, _ = ask(ActionRecommend(), "想吃点辣的下酒", "ask_recommendation")
    spicy = [name for name, _ in recommended(wanted[0])]
    assert spicy and all("辣" in shop.store.product(name).tags for name in spicy)


def test_a_recommendation_within_a_category_stays_in_it(shop):
    nuts = "|".join(p.name for p in shop.store.products() if p.category == "坚果")
    messages, _ = ask(ActionRecommend(), "坚果哪个好吃", "ask_recommendation", {"product_group": nuts})
    assert {shop.store.product(name).category for name, _ in recommended(messages[0])} == {"坚果"}
