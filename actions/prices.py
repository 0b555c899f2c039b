"""Prices: what a product or a quantity costs under the live promotions, and 价保 after buying."""
from __future__ import annotations

import re
from typing import Dict, List, Text, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import (account_of, ask_which_of, current, entities_in_line, get_shop, handoff,
                            latest_entity, latest_text, mentions, product_in_view, resolve_product_name)
from shopbot.shop.pricing import nearest_threshold, price_drops, quote, quote_basket

NUMERALS = {"一": 1, "两": 2, "二": 2, "俩": 2, "三": 3, "仨": 3, "四": 4, "五": 5, "六": 6, "七": 7,
            "八": 8, "九": 9, "十": 10}
# "两袋" / "买3包" / "4盒": a count of items; "一斤" is a weight, not a count.
# "30包装" is a pack size, not thirty packs.
QUANTITY = re.compile(r"([0-9]{1,3}|[一两二俩三仨四五六七八九十])\s*(?:件|袋|包|盒|份|瓶|罐|个|箱|桶|条|提)(?!装)")
# The buyer saw two prices (the page and the checkout, yesterday and today).
TWO_PRICES = ("不一样", "不同", "怎么变", "变贵", "涨价", "两个价", "价格不对", "显示的")


def quantity_in(text: str) -> int:
    """The number of items the buyer asks about (1 if none is said)."""
    match = QUANTITY.search(text or "")
    if not match:
        return 1
    count = match.group(1)
    return int(count) if count.isdigit() else NUMERALS[count]


def _money(amount: float) -> str:
    return f"{amount:.2f}".rstrip("0").rstrip(".")


class ActionPrice(Action):
    """The product's price, the total for the quantity asked, and every live offer that applies."""

    def name(self) -> Text:
        return "action_price"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain) -> List[Dict]:
        asked = resolve_product_name(dispatcher, tracker, "price")
        if asked is not None:
            return asked
        shop = get_shop()
        named = products_named(tracker)
        group = latest_entity(tracker, "product_group")
        if named and group:  # 芒果干和核桃: which 核桃 first, or it would be left out of the sum
            return ask_which_of(dispatcher, group.split("|"), "price")
        if len(named) >= 2:
            return _price_together(dispatcher, shop, latest_text(tracker), named)
        name = product_in_view(tracker)
        product = shop.store.product(name) if name else None
        if product is None:
            dispatcher.utter_message(response="utter_ask_price", promotions=";".join(shop.policy.promotions))
            return []
        text = latest_text(tracker)
        qty = quantity_in(text)
        offers = shop.policy.offers
        priced = quote(product.price, product.category, qty, offers)
        applying = {saving_text for saving_text, _ in priced.savings}
        savings = ",".join(f"{offer}省¥{_money(saving)}" for offer, saving in priced.savings)
        others = [offer.text for offer in offers if offer.text not in applying and offer.applies_to(product.category)]
        hint = nearest_threshold(priced.after_item_offers, product.category, offers)
        more = f"再凑¥{_money(hint[1])}就能用「{hint[0].text}」哦。" if hint else ""
        note = "页面价和结算价不一样的话,是因为优惠在下单结算时才扣减,以结算页的价格为准哦~" if mentions(
            text, *TWO_PRICES) else ""
        if product.stock <= 0:  # a price is no use to a buyer who cannot buy it now
            restock = product.restock_date.strftime("%m月%d日") if product.restock_date else "近期"
            note = f"不过这款暂时卖完了,预计{restock}补货哦~" + note
        if priced.savings:
            dispatcher.utter_message(
                response="utter_price_total", product=product.name, specs=product.specs,
                price=_money(product.price), qty=qty, list_total=_money(priced.list_total), savings=savings,
                pay=_money(priced.pay), more=more, note=note)
        else:
            dispatcher.utter_message(
                response="utter_price", product=product.name, specs=product.specs, price=_money(product.price),
                total=f"{qty}件一共¥{_money(priced.list_total)}," if qty > 1 else "",
                offers=";".join(others) or "暂时没有其他活动", more=more, note=note)
        return [SlotSet("product", product.name)]


def products_named(tracker: Tracker) -> List[Tuple[str, int, int]]:
    """The different products the latest line names, with where each stands: (name, start, end)."""
    seen, named = set(), []
    for entity in entities_in_line(tracker, "product"):
        if entity.get("value") not in seen:
            seen.add(entity["value"])
            named.append((entity["value"], int(entity.get("start", 0)), int(entity.get("end", 0))))
    return named


# "两袋芒果干" / "芒果干要两袋" / "芒果干x2": a count beside a product's name; "各两袋": one for all.
COUNT_BEFORE = re.compile(QUANTITY.pattern + r"\s*的?\s*$")
COUNT_AFTER = re.compile(r"^\s*(?:要|买|来|拿)?\s*(?:" + QUANTITY.pattern + r"|[xX×*]\s*([0-9]{1,3}))")
EACH = re.compile(r"各\s*(?:要|买|来|拿)?\s*" + QUANTITY.pattern)


def _count(match) -> int:
    return int(match.group(2)) if match.lastindex and match.lastindex >= 2 and match.group(2) else \
        quantity_in(match.group(0))


def quantities(text: str, named: List[Tuple[str, int, int]]) -> List[int]:
    """How many of each named product the line asks about (1 where it says none).

    A line puts its counts after the names ("芒果干两袋夏威夷果三袋") or before them
    ("两袋芒果干和三袋夏威夷果"): the first name decides which side is read first, and a name
    with no count on that side takes the one on the other, unless it is a neighbour's: a count
    is never read for two names.
    """
    each = EACH.search(text)
    if each:
        return [quantity_in(each.group(0))] * len(named)
    afters = [text[end:named[i + 1][1] if i + 1 < len(named) else len(text)] for i, (_, _, end) in enumerate(named)]
    befores = [text[named[i - 1][2] if i else 0:start] for i, (_, start, _) in enumerate(named)]
    after = [COUNT_AFTER.search(segment) for segment in afters]
    before = [COUNT_BEFORE.search(segment) for segment in befores]
    counts = []
    if not after[0] and before[0]:  # counts stand before the names
        for i, own in enumerate(before):
            # "两袋芒果干和夏威夷果要3袋": else the count after it, unless that is the next name's
            nxt = before[i + 1] if i + 1 < len(before) else None
            spare = after[i] if after[i] and (nxt is None or after[i].end() <= nxt.start()) else None
            counts.append(_count(own or spare) if own or spare else 1)
        return counts
    for i, own in enumerate(after):
        # "…一袋，再来4包草莓干": else the count before it, unless that is the last name's
        spare = before[i] if before[i] and (i == 0 or after[i - 1] is None
                                            or before[i].start() >= after[i - 1].end()) else None
        counts.append(_count(own or spare) if own or spare else 1)
    return counts


def _price_together(dispatcher: CollectingDispatcher, shop, text: str, named) -> List[Dict]:
    """Several products in one question (芒果干和夏威夷果一共多少钱): each line and the order's total."""
    found = [product for product in (shop.store.product(name) for name, _, _ in named) if product]
    products = [product for product in found if product.stock > 0]  # what can be bought now is totalled
    counts = dict(zip((name for name, _, _ in named), quantities(text, named)))
    basket = quote_basket([(p.name, p.price, p.category, counts[p.name]) for p in products], shop.policy.offers)
    lines = "、".join(f"{name}{quote.qty}件¥{_money(quote.list_total)}" for name, quote in basket.lines)
    savings = [(offer, saving) for _, quote in basket.lines for offer, saving in quote.savings] + basket.savings
    dispatcher.utter_message(
        response="utter_price_together", lines=lines, list_total=_money(basket.list_total),
        savings=";".join(f"{offer}省¥{_money(saving)}" for offer, saving in savings) or "暂时没有能用上的活动",
        pay=_money(basket.pay),
        sold_out="".join(f"{p.name}暂时卖完了,预计"
                         f"{p.restock_date.strftime('%m月%d日') if p.restock_date else '近期'}补货,没算在里面哦~"
                         for p in found if p.stock <= 0))
    return [SlotSet("product", found[-1].name)] if found else []


class ActionPriceProtection(Action):
    """价保: the buyer's own recent orders against today's prices, as the shop's policy says."""

    def name(self) -> Text:
        return "action_price_protection"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain) -> List[Dict]:
        shop = get_shop()
        policy = shop.policy.price_protection
        days = int(policy.get("days", 0) or 0)
        rules = {"days": days, "excluded": policy.get("excluded", "无"), "refund": policy.get("refund", "")}
        account = account_of(tracker)
        if not days:
            dispatcher.utter_message(response="utter_price_protection_none")
            return handoff("price_protection", "normal")
        if account is None:
            dispatcher.utter_message(response="utter_price_protection_rules", **rules)
            return []
        prices = {product.sku: product.price for product in shop.store.products()}
        drops = price_drops(shop.store.orders_of(account), prices, shop.now(), days, current(tracker, "product"))
        due = [drop for drop in drops if drop.within_days and drop.difference > 0]
        if due:
            drop = due[0]
            dispatcher.utter_message(
                response="utter_price_protection_due", order_id=drop.order_id, product=drop.product,
                paid=_money(drop.paid_price), now=_money(drop.price_now), qty=drop.qty,
                difference=_money(drop.difference), **rules)
            return handoff("price_protection", "normal")  # a person refunds it: the bot cannot move money
        recent = [drop for drop in drops if drop.within_days]
        if recent:
            drop = recent[0]
            dispatcher.utter_message(response="utter_price_protection_no_drop", product=drop.product,
                                     paid=_money(drop.paid_price), now=_money(drop.price_now), **rules)
        elif drops:
            drop = drops[0]
            dispatcher.utter_message(response="utter_price_protection_expired", product=drop.product,
                                     paid_date=drop.paid_at.strftime("%m月%d日"), **rules)
        else:
            dispatcher.utter_message(response="utter_price_protection_rules", **rules)
        return []
