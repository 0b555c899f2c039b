"""Before buying: stock, freshness, product facts, recommendations, bargaining."""
from __future__ import annotations

import re
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import (get_shop, latest_entity, latest_text, mentions, product_choices,
                            product_in_view, resolve_product_name)

LOW_STOCK = 10
# A buyer asking which offers there are, rather than for a lower price.
OFFER_WORDS = ("优惠券", "券", "红包", "活动", "满减", "促销", "优惠", "折扣", "打折", "打个折", "包邮券")
MULTI_BUY_WORDS = ("买多", "多买", "多拍", "买几", "量大", "批发", "囤", "多来几", "一起买")
LOYAL_WORDS = ("老顾客", "老客户", "回头客", "会员", "vip", "VIP", "老粉", "常客")
# "再便宜5块" / "少10元" ask for a discount of that much; they are not a price offer.
DISCOUNT_ASK = re.compile(r"(便宜|少|减|优惠|让|降|抹)[^0-9]{0,3}[0-9]")


def _product(tracker: Tracker):
    name = product_in_view(tracker)
    return get_shop().store.product(name) if name else None


def _remember(product) -> List[Dict[str, Any]]:
    return [SlotSet("product", product.name)] if product else []


class ActionStock(Action):
    def name(self) -> Text:
        return "action_stock"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain) -> List[Dict]:
        asked = resolve_product_name(dispatcher, tracker, "stock")
        if asked is not None:
            return asked
        product = _product(tracker)
        if product is None:
            dispatcher.utter_message(response="utter_ask_stock")
            return []
        if product.stock <= 0:
            shop = get_shop()
            alternatives = [p.name for p in shop.store.products()
                            if p.category == product.category and p.stock > 0 and p.sku != product.sku][:3]
            dispatcher.utter_message(
                response="utter_stock_out", product=product.name,
                restock=product.restock_date.strftime("%m月%d日") if product.restock_date else "近期",
                alternatives="、".join(alternatives) or "店里其他热销款")
        elif product.stock < LOW_STOCK:
            dispatcher.utter_message(response="utter_stock_low", product=product.name, stock=product.stock)
        else:
            dispatcher.utter_message(response="utter_stock_in", product=product.name, stock=product.stock)
        return _remember(product)


class ActionShelfLife(Action):
    def name(self) -> Text:
        return "action_shelf_life"

    async def run(self, dispatcher, tracker, domain) -> List[Dict]:
        asked = resolve_product_name(dispatcher, tracker, "shelf_life")
        if asked is not None:
            return asked
        product = _product(tracker)
        if product is None or product.production_date is None:
            dispatcher.utter_message(response="utter_ask_shelf_life")
            return _remember(product)
        today = get_shop().now().date()
        expiry = product.expiry_date()
        dispatcher.utter_message(
            response="utter_shelf_life", product=product.name,
            production_date=product.production_date.strftime("%Y年%m月%d日"),
            shelf_life_days=product.shelf_life_days,
            days_left=max((expiry - today).days, 0) if expiry else "",
            storage=product.storage)
        return _remember(product)


class ActionProductInfo(Action):
    def name(self) -> Text:
        return "action_product_info"

    async def run(self, dispatcher, tracker, domain) -> List[Dict]:
        asked = resolve_product_name(dispatcher, tracker, "product_info")
        if asked is not None:
            return asked
        product = _product(tracker)
        if product is None:
            dispatcher.utter_message(response="utter_ask_product_info")
            return []
        dispatcher.utter_message(
            response="utter_product_info", product=product.name, specs=product.specs,
            origin=product.origin, ingredients=product.ingredients, usage=product.usage,
            price=f"{product.price:.2f}")
        return _remember(product)


# What a buyer asks a recommendation for -> the catalog tag that answers it.
WANTED_TAGS = (
    (("无糖", "低糖", "少糖", "控糖", "血糖", "糖尿病", "不要太甜", "不甜", "不能吃甜", "不吃甜", "怕甜", "减肥", "低卡",
      "热量低"), "低糖"),
    (("孩子", "小孩", "宝宝", "儿童", "小朋友"), "儿童"),
    (("送礼", "送人", "礼物", "礼盒", "送长辈", "送客户"), "送礼"),
    (("办公室", "上班", "加班", "追剧"), "办公室"),
    (("辣", "下酒", "重口"), "辣"),
    (("新品", "新款", "新出"), "新品"),
    (("卖得最好", "最火", "爆款", "热销", "最多人买"), "热销"),
)
# "不能吃辣" / "怕辣" / "不要太辣": a tag the buyer wants to avoid, not one they want.
AVOIDING = re.compile(r"(不能吃|不太能吃|不怎么能吃|都不能吃|不吃|不敢吃|吃不了|受不了|没法吃|不要|不想要|不爱|不喜欢|怕|别|不)"
                      r"(太|很|那么)?$")
# "辣的不要" / "辣的吃不了": the refusal after the word.
AVOIDED_AFTER = re.compile(r"^(的|味的|口的)?(都|也)?(不要|吃不了|不能吃|受不了|不行|不吃|免了)")


def wanted_and_avoided(text: str):
    """The catalog tags the buyer asks for, and those they ask to avoid (a negation just before)."""
    wanted, avoided = [], []
    for words, tag in WANTED_TAGS:
        for word in words:
            at = text.find(word)
            if at < 0:
                continue
            refused = AVOIDING.search(text[max(0, at - 4):at]) or AVOIDED_AFTER.search(text[at + len(word):])
            (avoided if refused else wanted).append(tag)
            break
    return [tag for tag in wanted if tag not in avoided], avoided


# For a buyer who watches their sugar: the bot suggests, it does not advise on health.
SUGAR_WORDS = ("糖尿病", "血糖", "控糖")


class ActionRecommend(Action):
    """Products for what the buyer asked (a need the catalog's tags answer, a category, a product
    to compare with), in stock, else the shop's new and best-selling ones."""

    def name(self) -> Text:
        return "action_recommend"

    async def run(self, dispatcher, tracker, domain) -> List[Dict]:
        products = [p for p in get_shop().store.products() if p.stock > 0]
        text = latest_text(tracker)
        tags, avoided = wanted_and_avoided(text)
        products = [p for p in products if not any(tag in p.tags for tag in avoided)]
        group = set(product_choices(tracker))
        asked = _product(tracker) if not group else None
        picks = [p for p in products if all(tag in p.tags for tag in tags)] if tags else list(products)
        if group:
            picks = [p for p in picks if p.name in group]
        elif asked and not tags:
            picks = [p for p in picks if p.category == asked.category and p.sku != asked.sku]
        elif not tags:
            picks = [p for p in picks if "新品" in p.tags] + [p for p in picks if "热销" in p.tags]
        if not picks and (tags or group or avoided):
            dispatcher.utter_message(response="utter_recommend_none")
            return []
        seen, names = set(), []
        for p in picks or products:
            if p.name not in seen:
                seen.add(p.name)
                names.append(f"{p.name}(¥{p.price:.2f})")
        dispatcher.utter_message(response="utter_recommend", products="、".join(names[:3]))
        if mentions(text, *SUGAR_WORDS):
            dispatcher.utter_message(response="utter_recommend_health")
        return []


class ActionBargain(Action):
    """The manual's ladder: value first, then member benefits, then one small gift, then a warm no."""

    def name(self) -> Text:
        return "action_bargain"

    async def run(self, dispatcher, tracker, domain) -> List[Dict]:
        shop = get_shop()
        policy = shop.policy
        stage = int(tracker.get_slot("bargain_stage") or 0) + 1
        product = _product(tracker)
        offered = latest_entity(tracker, "amount")
        if DISCOUNT_ASK.search(latest_text(tracker)):
            offered = None
        if product and offered and float(offered) < product.price * float(
                policy.bargain.get("unreasonable_below", 0.7)):
            dispatcher.utter_message(response="utter_bargain_unreasonable")
            return [SlotSet("bargain_stage", stage)] + _remember(product)
        text = latest_text(tracker)
        # Asking what offers there are is answered with them, before any step of the ladder.
        if mentions(text, *MULTI_BUY_WORDS):
            dispatcher.utter_message(response="utter_bargain_multibuy",
                                     promotions=";".join(policy.promotions + policy.coupons))
        elif mentions(text, *LOYAL_WORDS):
            dispatcher.utter_message(response="utter_bargain_member", member=policy.member_benefit,
                                     promotions=";".join(policy.promotions))
        elif mentions(text, *OFFER_WORDS):
            dispatcher.utter_message(response="utter_bargain_promotions",
                                     promotions=";".join(policy.promotions + policy.coupons))
        elif stage == 1:
            dispatcher.utter_message(response="utter_bargain_value")
        elif stage == 2:
            dispatcher.utter_message(response="utter_bargain_member", member=policy.member_benefit,
                                     promotions=";".join(policy.promotions))
        elif stage == 3:
            dispatcher.utter_message(response="utter_bargain_concession",
                                     concession=policy.bargain.get("concession", ""))
        else:
            dispatcher.utter_message(response="utter_bargain_final")
        return [SlotSet("bargain_stage", stage)] + _remember(product)


class ActionHesitate(Action):
    def name(self) -> Text:
        return "action_hesitate"

    async def run(self, dispatcher, tracker, domain) -> List[Dict]:
        dispatcher.utter_message(response="utter_hesitate",
                                 no_reason_days=get_shop().policy.returns["no_reason_days"])
        return []
